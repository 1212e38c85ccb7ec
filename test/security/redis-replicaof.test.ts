// Issue 18: replication brings REPLICAOF back to the Redis manager's connection, scoped. A hostile
// manager run by a real guest host may make its server follow only the source of the latest
// attach-replica the server sent (or NO ONE); REPLICAOF or SLAVEOF to any other host:port, or with
// no attach-replica in force, answers denied. Its "datastore" is a private redis-server; two more
// stand for the source the server names and for a host of the manager's choosing.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { PrivateRedis } from '../support/private-redis.js';
import { startRedisGuest, type RedisGuest } from '../support/redis-guest.js';

const cleanups: Array<() => Promise<unknown>> = [];
let guest: RedisGuest;
let datastore: PrivateRedis;
let source: PrivateRedis;
let elsewhere: PrivateRedis;

beforeAll(async () => {
  [datastore, source, elsewhere] = await Promise.all([PrivateRedis.create(), PrivateRedis.create(), PrivateRedis.create()]);
  guest = await startRedisGuest(cleanups, {
    entry: join(PACKAGE_ROOT, 'test', 'security', 'managers', 'replicaof-abuse.ts'),
    editConfig(config) {
      config.options = {};
      config.grants = { connections: { admin: { kind: 'redis', url: datastore.url() } } };
    },
  });
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const server of [datastore, source, elsewhere]) server?.destroy();
});

const snapshot = (port: number, command: string[]) => ({
  snapshotId: '',
  logPosition: '0',
  source: { host: '127.0.0.1', port, user: 'berth_replica', password: 'secret', extra: [] },
  datasetSize: 0n,
  extra: [{ key: 'command', value: JSON.stringify(command) }],
});
const attach = (port: number, ...command: string[]) => guest.call('attach-replica', [snapshot(port, command), []]);
/** A command outside any attach-replica. */
const send = (...command: string[]) => guest.call('wait-for-txn', [JSON.stringify(command), 1]);
const denied = { err: { tag: 'denied', val: expect.stringMatching(/(REPLICAOF|SLAVEOF|CONFIG SET \w+) is refused/) } };

async function following(): Promise<string> {
  const client = datastore.client();
  try {
    const info = await client.info('replication');
    return /^role:master/m.test(info) ? 'nobody' : `${/^master_host:(.*)\r?$/m.exec(info)?.[1]}:${/^master_port:(\d+)/m.exec(info)?.[1]}`;
  } finally {
    client.disconnect();
  }
}

describe('REPLICAOF through the connection of a hostile Redis manager', () => {
  it('is denied while no attach-replica named a source, and so are masteruser and masterauth', async () => {
    expect(await send('REPLICAOF', '127.0.0.1', String(source.port))).toEqual(denied);
    expect(await send('CONFIG', 'SET', 'masterauth', 'x')).toEqual(denied);
    expect(await following()).toBe('nobody');
  });

  it('is denied to any host but the source attach-replica names, inside that call', async () => {
    expect(await attach(source.port, 'REPLICAOF', '127.0.0.1', String(elsewhere.port))).toEqual(denied);
    expect(await attach(source.port, 'slaveof', 'localhost', String(source.port))).toEqual(denied);
    expect(await attach(source.port, 'REPLICAOF', '127.0.0.1', String(source.port), 'x')).toEqual(denied);
    expect(await following()).toBe('nobody');
  });

  it('is allowed to that source, which then stays the only one until a detach', async () => {
    expect(await attach(source.port, 'REPLICAOF', '127.0.0.1', String(source.port))).toEqual({ ok: undefined });
    expect(await following()).toBe(`127.0.0.1:${source.port}`);
    expect(await send('CONFIG', 'SET', 'masteruser', 'berth_replica', 'masterauth', 'secret')).toEqual({ ok: undefined });
    expect(await send('SLAVEOF', '127.0.0.1', String(elsewhere.port))).toEqual(denied);
    expect(await send('REPLICAOF', '127.0.0.1', String(elsewhere.port))).toEqual(denied);
    expect(await following()).toBe(`127.0.0.1:${source.port}`);

    expect(await guest.call('detach-replica', [false])).toEqual({ ok: { sourceId: '', transactionId: '0' } });
    expect(await following()).toBe('nobody');
    // the detach took the grant back
    expect(await send('REPLICAOF', '127.0.0.1', String(source.port))).toEqual(denied);
    expect(await send('CONFIG', 'SET', 'masterauth', 'x')).toEqual(denied);
    expect(await following()).toBe('nobody');
  });

  it('is always allowed as NO ONE', async () => {
    expect(await send('REPLICAOF', 'NO', 'ONE')).toEqual({ ok: undefined });
    expect(await following()).toBe('nobody');
  });
});
