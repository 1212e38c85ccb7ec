import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredBackup } from '../../support/redis-guest.js';
import { startMysqlGuests, type MysqlGuest } from '../../support/mysql-guests.js';
import { attach, caughtUp, forReplica, ok, prepareRequest, refusedWith, replicaName, replicaSettings, rowsOf, type Snapshot } from './replication-steps.js';
import { connect } from './support.js';

// Two real guest hosts running the MySQL manager, each with its own mariadbd,
// replicating through the manager's replication operations in the order the
// server sends them (the test plays the server: it fills in the primary's
// endpoint and the artifact's checks between the calls).
const cleanups: Array<() => Promise<unknown>> = [];
let primary: MysqlGuest;
let replica: MysqlGuest;
let artifacts: Map<string, StoredBackup>;
const names = { primary: replicaName(), replica: replicaName() };

const APP = { name: 'app', password: 'app-secret-123' };
const admin = (guest: MysqlGuest) => ({ name: 'os_admin', password: guest.adminPassword });
const count = async (guest: MysqlGuest, table: string) => Number((await rowsOf<{ n: number }>(guest.port, APP, `SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);

beforeAll(async () => {
  const started = await startMysqlGuests(cleanups, 2);
  [primary, replica] = started.guests as [MysqlGuest, MysqlGuest];
  artifacts = started.artifacts;
  const request = prepareRequest({ databases: [{ name: 'shop', characterSet: undefined, collation: undefined }], users: [{ name: APP.name, host: '%', password: APP.password, databases: ['shop'] }] });
  await Promise.all([primary, replica].map(async (guest) => ok(await guest.call('prepare', [request], 300_000), 'prepare', guest)));
}, 600_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}, 120_000);

describe('MySQL replication (MariaDB GTIDs)', () => {
  it('prepares every guest with a binary log and a server_id of its own', async () => {
    const ids = [primary, replica].map((guest) => readFileSync(join(guest.volume, 'server-id'), 'utf8').trim());
    expect(ids[0]).toMatch(/^[1-9]\d*$/);
    expect(ids[0]).not.toBe(ids[1]);
    expect(await rowsOf(primary.port, admin(primary), 'SELECT @@log_bin AS b, @@binlog_format AS f, @@binlog_expire_logs_seconds AS kept', '')).toEqual([{ b: 1, f: 'ROW', kept: 604800 }]);
    const app = await connect(primary.port, APP.name, APP.password, 'shop');
    await app.query('CREATE TABLE items (id int PRIMARY KEY, name varchar(40))');
    await app.query("INSERT INTO items VALUES (1, 'anchor'), (2, 'rope'), (3, 'sail')");
    await app.end();
  });

  it('seeds a replica from the snapshot and replays the primary writes on it', async () => {
    const snapshot = await attach(primary, replica, names.replica, 'snap-1', artifacts);
    expect(snapshot.logPosition).toMatch(/^\d+-\d+-\d+/);
    expect(snapshot.source.user).toBe(names.replica);
    expect(snapshot.source.password).toMatch(/^[0-9A-F]{48}$/);
    // the copy's rows, then a write made after the snapshot
    expect(await rowsOf(replica.port, APP, 'SELECT name FROM items ORDER BY id')).toEqual([{ name: 'anchor' }, { name: 'rope' }, { name: 'sail' }]);
    await rowsOf(primary.port, APP, "INSERT INTO items VALUES (4, 'keel')");
    const latest = await caughtUp(primary, replica);
    expect(Number(latest)).toBeGreaterThan(0);
    expect(await rowsOf(replica.port, APP, 'SELECT name FROM items WHERE id = 4')).toEqual([{ name: 'keel' }]);
    expect(ok<{ transactionId: string }>(await replica.call('get-last-txn'), 'get-last-txn', replica).transactionId).toBe(latest);
  }, 300_000);

  it('gives the replica an account that may replicate and do nothing else', async () => {
    const account = { name: names.replica, password: '' };
    const grants = await rowsOf<Record<string, string>>(primary.port, admin(primary), `SHOW GRANTS FOR '${names.replica}'@'127.0.0.1'`, 'mysql');
    expect(grants.map((row) => Object.values(row)[0])).toEqual([expect.stringMatching(/^GRANT REPLICATION SLAVE ON \*\.\* TO /)]);
    // the password the snapshot named is the only way in; hidden from list-users, refused to delete-user
    const snapshot = ok<Snapshot>(await primary.call('get-replication-snapshot', ['', replicaSettings(names.replica)]), 'get-replication-snapshot', primary);
    account.password = snapshot.source.password;
    expect(await refusedWith(primary.port, account, 'SELECT COUNT(*) FROM shop.items', '')).toBe('ER_TABLEACCESS_DENIED_ERROR');
    expect(await refusedWith(primary.port, account, "CREATE USER 'intruder'@'%'", '')).toBe('ER_SPECIFIC_ACCESS_DENIED_ERROR');
    const listed = ok<{ items: Array<{ name: string }> }>(await primary.call('list-users', [{ limit: undefined, marker: undefined, includeMarker: false }]), 'list-users', primary);
    expect(listed.items.map((user) => user.name)).toEqual([APP.name]);
    expect(await primary.call('delete-user', [{ name: names.replica, host: '127.0.0.1' }])).toMatchObject({ err: { tag: 'invalid-argument' } });
    // the old password is void: the server re-points the replica with the new one
    ok(await replica.call('attach-replica', [forReplica(snapshot, primary, artifacts), replicaSettings(names.replica)]), 'attach-replica', replica);
    await rowsOf(primary.port, APP, "INSERT INTO items VALUES (5, 'mast')");
    await caughtUp(primary, replica);
  }, 120_000);

  it('refuses writes from clients on the replica, across a restart of its datastore', async () => {
    expect(await refusedWith(replica.port, APP, "INSERT INTO items VALUES (100, 'stowaway')")).toBe('ER_OPTION_PREVENTS_STATEMENT');
    ok(await replica.call('restart', [], 300_000), 'restart', replica);
    expect(await refusedWith(replica.port, APP, "INSERT INTO items VALUES (100, 'stowaway')")).toBe('ER_OPTION_PREVENTS_STATEMENT');
    // and still follows its primary
    await rowsOf(primary.port, APP, "INSERT INTO items VALUES (6, 'hull')");
    await caughtUp(primary, replica);
    expect(await count(replica, 'items')).toBe(6);
  }, 300_000);

  it('answers unavailable when a transaction is not applied in time', async () => {
    const latest = BigInt(ok<string>(await primary.call('get-latest-txn-id'), 'get-latest-txn-id', primary));
    const started = Date.now();
    expect(await replica.call('wait-for-txn', [String(latest + 1000n), 2], 60_000)).toMatchObject({ err: { tag: 'unavailable' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    // a case its contract does not list is failed (wit/replication.wit: unavailable, failed)
    expect(await replica.call('wait-for-txn', ['not-a-number', 2])).toMatchObject({ err: { tag: 'failed' } });
  }, 120_000);

  it('detaches a replica into a standalone read-write instance that follows no more', async () => {
    const position = ok<{ transactionId: string }>(await replica.call('detach-replica', [false]), 'detach-replica', replica);
    expect(position.transactionId).toBe(ok<string>(await primary.call('get-latest-txn-id'), 'get-latest-txn-id', primary));
    await rowsOf(replica.port, APP, "INSERT INTO items VALUES (100, 'own')");
    await rowsOf(primary.port, APP, "INSERT INTO items VALUES (7, 'deck')");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await rowsOf(replica.port, APP, 'SELECT id FROM items WHERE id IN (7, 100) ORDER BY id')).toEqual([{ id: 100 }]);
    expect(await replica.call('detach-replica', [false])).toMatchObject({ err: { tag: 'not-found' } });
  }, 120_000);

  it('switches over with no acknowledged write lost, the old primary following the new one', async () => {
    // re-seeded: the detached replica's own write goes with its old data
    await attach(primary, replica, names.replica, 'snap-2', artifacts);
    expect(await rowsOf(replica.port, APP, 'SELECT id FROM items WHERE id = 100')).toEqual([]);
    await rowsOf(primary.port, APP, 'CREATE TABLE ledger (n int PRIMARY KEY)');

    // a client writing all along, to whichever guest is the primary; a write counts once acknowledged
    const target = { guest: primary };
    let acknowledged = 0;
    let refused = 0;
    let stop = false;
    const writer = (async () => {
      const clients = new Map<MysqlGuest, Awaited<ReturnType<typeof connect>>>();
      for (let n = 1; !stop; n++) {
        const guest = target.guest;
        try {
          if (!clients.has(guest)) clients.set(guest, await connect(guest.port, APP.name, APP.password, 'shop'));
          await clients.get(guest)!.query('INSERT INTO ledger VALUES (?)', [n]);
          acknowledged++;
        } catch {
          refused++;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      for (const client of clients.values()) await client.end();
    })();
    await new Promise((resolve) => setTimeout(resolve, 1000));

    // the server's switchover: the primary stops taking writes, the replica catches up and takes over
    ok(await primary.call('demote-replication-master', []), 'demote-replication-master', primary);
    await caughtUp(primary, replica);
    ok(await replica.call('detach-replica', [true]), 'detach-replica', replica);
    expect(await refusedWith(replica.port, APP, 'INSERT INTO ledger VALUES (-1)')).toBe('ER_OPTION_PREVENTS_STATEMENT');
    ok(await replica.call('enable-as-master', [[{ key: 'replicas', value: names.primary }]]), 'enable-as-master', replica);
    target.guest = replica;
    // the old primary already holds the data: re-pointed, not re-seeded
    await attach(replica, primary, names.primary, '', artifacts);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stop = true;
    await writer;

    expect(acknowledged).toBeGreaterThan(10);
    expect(await count(replica, 'ledger')).toBe(acknowledged);
    await caughtUp(replica, primary);
    expect(await count(primary, 'ledger')).toBe(acknowledged);
    expect(await refusedWith(primary.port, APP, 'INSERT INTO ledger VALUES (-1)')).toBe('ER_OPTION_PREVENTS_STATEMENT');
    // the new primary serves the old one only: the account its own replication used is gone
    const accounts = await rowsOf<{ User: string }>(replica.port, admin(replica), "SELECT User FROM mysql.user WHERE User LIKE 'berth\\_%'", 'mysql');
    expect(accounts.map((row) => row.User)).toEqual([names.primary]);
    expect(refused).toBeGreaterThanOrEqual(0);
  }, 300_000);

  it('refuses to re-point a replica whose data diverged (invalid-argument), and follows again once re-seeded', async () => {
    // now `replica` is the primary and `primary` its replica; the replica, detached, takes a write of its own
    ok(await primary.call('detach-replica', [false]), 'detach-replica', primary);
    await rowsOf(primary.port, APP, 'INSERT INTO ledger VALUES (-10)');
    await rowsOf(replica.port, APP, 'INSERT INTO ledger VALUES (-20), (-21)');
    const snapshot = ok<Snapshot>(await replica.call('get-replication-snapshot', ['', replicaSettings(names.primary)]), 'get-replication-snapshot', replica);
    const repointed = await primary.call('attach-replica', [forReplica(snapshot, replica, artifacts), replicaSettings(names.primary)]);
    expect(repointed).toMatchObject({ err: { tag: 'invalid-argument', val: { field: 'snapshot' } } });
    await attach(replica, primary, names.primary, 'snap-3', artifacts);
    await rowsOf(replica.port, APP, 'INSERT INTO ledger VALUES (-22)');
    await caughtUp(replica, primary);
    expect(await rowsOf(primary.port, APP, 'SELECT n FROM ledger WHERE n < 0 ORDER BY n')).toEqual([{ n: -22 }, { n: -21 }, { n: -20 }]);
  }, 300_000);
});
