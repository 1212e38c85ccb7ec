// Redis replication through real guest hosts running the built manager, each
// against its own redis-server: the server's side (docs/replication.md) is
// played by the test, which fills in the primary's endpoint as the server does.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildRedisManager, prepareRequest, requireRedisServer, startRedisGuest, type CallOutcome, type RedisGuest } from '../../support/redis-guest.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

beforeAll(async () => {
  requireRedisServer();
  await buildRedisManager();
});

interface Snapshot {
  snapshotId: string;
  logPosition: string;
  source: { host: string; port: number; user: string; password: string; extra: unknown[] };
  datasetSize: bigint;
  extra: unknown[];
}

const NAME_A = `berth_${'a'.repeat(32)}`;
const NAME_B = `berth_${'b'.repeat(32)}`;
const NAME_C = `berth_${'c'.repeat(32)}`;
const settingsOf = (name: string) => [
  { key: 'replica-name', value: name },
  { key: 'replica-host', value: '127.0.0.1' },
];

async function preparedGuest(): Promise<{ guest: RedisGuest; client: Redis }> {
  const guest = await startRedisGuest(cleanups);
  expect(await guest.call('prepare', [prepareRequest()])).toEqual({ ok: undefined });
  const client = guest.client();
  await client.connect();
  return { guest, client };
}

/** A new client: one of a restarted server has closed. */
async function reconnect(guest: RedisGuest): Promise<Redis> {
  const client = guest.client();
  await client.connect();
  return client;
}

/** get-replication-snapshot on `primary` for `name`, with the endpoint filled in as the server does. */
async function snapshotFor(primary: RedisGuest, name: string): Promise<Snapshot> {
  const snapshot = await okOf<Snapshot>(primary.call('get-replication-snapshot', ['', settingsOf(name)]));
  return { ...snapshot, source: { ...snapshot.source, host: '127.0.0.1', port: primary.port } };
}

async function attach(replica: RedisGuest, primary: RedisGuest, name: string): Promise<Snapshot> {
  const snapshot = await snapshotFor(primary, name);
  expect(await replica.call('attach-replica', [snapshot, settingsOf(name)])).toEqual({ ok: undefined });
  return snapshot;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const role = async (client: Redis) => /^role:(\w+)/m.exec(await client.info('replication'))?.[1];
const linkUp = async (client: Redis) => /^master_link_status:up/m.test(await client.info('replication'));
/** The ok value of a call, or a test failure naming the error. */
async function okOf<T>(outcome: Promise<CallOutcome>): Promise<T> {
  const settled = await outcome;
  if (!('ok' in settled)) throw new Error(`the call failed: ${JSON.stringify(settled, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  return settled.ok as T;
}

const errorOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: Error) => error.message);

async function replicated(replica: Redis, key: string, value: string): Promise<void> {
  await until(async () => (await replica.get(key)) === value, `${key} on the replica`, 20_000);
}

describe('Redis replication through the manager', () => {
  it('gives each replica a replication-only ACL user on the primary, a fresh password at each call', async () => {
    const { guest: primary, client } = await preparedGuest();
    expect(await primary.call('backup-required-for-replication')).toEqual({ ok: false });
    const first = await snapshotFor(primary, NAME_B);
    expect(first).toMatchObject({ snapshotId: '', logPosition: expect.stringMatching(/^\d+$/), source: { user: NAME_B, password: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    // an artifact id asked for anyway: Redis writes none, and says so with an empty snapshot-id
    const second = await snapshotFor(primary, NAME_B);
    expect(second.snapshotId).toBe('');
    expect(second.source.password).not.toBe(first.source.password);
    const third = await okOf<Snapshot>(primary.call('get-replication-snapshot', ['snap-1', settingsOf(NAME_B)]));
    expect(third.snapshotId).toBe('');
    // the host stores what the manager wrote under the id it was given: nothing
    expect(primary.backups.get('snap-1')?.data.length).toBe(0);

    expect((await client.call('ACL', 'USERS')) as string[]).toEqual(['berth', NAME_B, 'default'].sort());
    expect(await client.call('ACL', 'DRYRUN', NAME_B, 'PSYNC', '?', '-1')).toBe('OK');
    for (const command of [['GET', 'k'], ['SET', 'k', 'v'], ['CONFIG', 'GET', 'dir'], ['ACL', 'LIST'], ['KEYS', '*']]) {
      expect(await client.call('ACL', 'DRYRUN', NAME_B, ...command), command.join(' ')).toMatch(/no permissions/);
    }
    // saved, as a hash: a restart keeps the user
    const acl = await readFile(join(primary.volume, 'users.acl'), 'utf8');
    expect(acl).toMatch(new RegExp(`^user ${NAME_B} on .*#[0-9a-f]{64} (resetchannels )?-@all( \\+(psync|replconf|ping)){3}$`, 'm'));
    expect(acl).not.toContain(first.source.password);
    expect(await primary.call('restart')).toEqual({ ok: undefined });
    const after = await reconnect(primary);
    expect(await errorOf(after.call('AUTH', NAME_B, second.source.password))).toMatch(/WRONGPASS/);
    expect(await after.call('AUTH', NAME_B, third.source.password)).toBe('OK');
    expect(await primary.call('get-replication-snapshot', ['', settingsOf('replica-1')])).toMatchObject({ err: { tag: 'invalid-argument', val: { field: 'replica-name' } } });
  });

  it('replicates writes to a replica that refuses its own, keeps the role across a restart, and detaches to a writable standalone', async () => {
    const { guest: primary, client: onPrimary } = await preparedGuest();
    const prepared = await preparedGuest();
    const replica = prepared.guest;
    let onReplica = prepared.client;
    await onPrimary.set('before', 'attach');
    await attach(replica, primary, NAME_B);
    await replicated(onReplica, 'before', 'attach');
    await onPrimary.set('after', 'attach');
    await replicated(onReplica, 'after', 'attach');
    expect(await role(onReplica)).toBe('slave');
    expect(await errorOf(onReplica.set('on-replica', 'x'))).toMatch(/^READONLY/);
    expect(await readFile(join(replica.volume, 'replication.conf'), 'utf8')).toContain(`replicaof 127.0.0.1 ${primary.port}\nmasteruser ${NAME_B}\n`);

    const latest = await okOf<string>(primary.call('get-latest-txn-id'));
    expect(latest).toMatch(/^\d+$/);
    expect(await replica.call('wait-for-txn', [latest, 20])).toEqual({ ok: undefined });
    const last = await okOf<{ sourceId: string; transactionId: string }>(replica.call('get-last-txn'));
    expect(BigInt(last.transactionId)).toBeGreaterThanOrEqual(BigInt(latest));
    expect(await replica.call('wait-for-txn', [String(BigInt(latest) + 10n ** 12n), 1])).toMatchObject({ err: { tag: 'unavailable' } });

    // a restart of redis-server reads replication.conf: still a replica, still read-only, still following
    expect(await replica.call('restart')).toEqual({ ok: undefined });
    onReplica = await reconnect(replica);
    await onPrimary.set('after', 'restart');
    await replicated(onReplica, 'after', 'restart');
    expect(await role(onReplica)).toBe('slave');
    expect(await linkUp(onReplica)).toBe(true);
    expect(await errorOf(onReplica.set('on-replica', 'x'))).toMatch(/^READONLY/);

    const detached = await replica.call('detach-replica', [false]);
    expect(detached).toEqual({ ok: { sourceId: expect.stringMatching(/^[0-9a-f]{40}$/), transactionId: expect.stringMatching(/^\d+$/) } });
    expect(await role(onReplica)).toBe('master');
    expect(await onReplica.set('on-replica', 'x')).toBe('OK');
    await onPrimary.set('after', 'detach');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await onReplica.get('after')).toBe('restart');
    expect(await replica.call('detach-replica', [false])).toMatchObject({ err: { tag: 'not-found' } });
    // and it stays standalone across a restart
    expect(await replica.call('restart')).toEqual({ ok: undefined });
    onReplica = await reconnect(replica);
    expect(await role(onReplica)).toBe('master');
    expect(await onReplica.get('on-replica')).toBe('x');
  });

  it('switches over by hand without losing an acknowledged write', async () => {
    const { guest: a, client: onA } = await preparedGuest();
    const { guest: b, client: onB } = await preparedGuest();
    await attach(b, a, NAME_B);
    await until(() => linkUp(onB), 'the replica link', 20_000);

    // a client writes as fast as it is answered, until the primary refuses
    let acknowledged = 0;
    let refusal = '';
    const writer = (async () => {
      for (;;) {
        try {
          await onA.rpush('writes', String(acknowledged));
          acknowledged++;
        } catch (error) {
          refusal = (error as Error).message;
          return;
        }
      }
    })();
    await until(() => acknowledged >= 200, '200 writes', 20_000);
    expect(await a.call('make-read-only', [true])).toEqual({ ok: undefined });
    await writer;
    expect(refusal).toMatch(/^NOREPLICAS/);

    const latest = await okOf<string>(a.call('get-latest-txn-id'));
    expect(await b.call('wait-for-txn', [latest, 30])).toEqual({ ok: undefined });
    const stopped = await okOf<{ transactionId: string }>(b.call('detach-replica', [true]));
    expect(BigInt(stopped.transactionId)).toBeGreaterThanOrEqual(BigInt(latest));
    // detached for a failover: a primary still refusing writes
    expect(await role(onB)).toBe('master');
    expect(await errorOf(onB.rpush('writes', 'early'))).toMatch(/^NOREPLICAS/);

    // a replica B no longer serves (C) loses its user when B becomes the primary of A alone
    await snapshotFor(b, NAME_C);
    expect(await b.call('enable-as-master', [[{ key: 'replicas', value: NAME_A }]])).toEqual({ ok: undefined });
    expect((await onB.call('ACL', 'USERS')) as string[]).not.toContain(NAME_C);
    await attach(a, b, NAME_A);

    expect(await onB.llen('writes')).toBe(acknowledged);
    expect(await onB.lrange('writes', 0, -1)).toEqual(Array.from({ length: acknowledged }, (_, i) => String(i)));
    expect(await onB.rpush('writes', 'on-b')).toBe(acknowledged + 1);
    await until(async () => (await onA.llen('writes')) === acknowledged + 1, 'the new write on the old primary', 20_000);
    expect(await role(onA)).toBe('slave');
    expect(await errorOf(onA.rpush('writes', 'on-a'))).toMatch(/^READONLY/);
    // the old primary follows from where it was (a partial resync of the same stream), and enable-as-master is idempotent
    expect(await b.call('enable-as-master', [[{ key: 'replicas', value: NAME_A }]])).toEqual({ ok: undefined });
    expect((await onB.call('ACL', 'USERS')) as string[]).toContain(NAME_A);
  });
});
