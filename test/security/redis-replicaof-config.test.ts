// Issue 18: the replication grant beyond the connection. A hostile Redis manager that writes
// `replicaof <any host> <port>` into the config file it starts redis-server with still gets a
// server that follows only the source of the server's latest attach-replica (the host appends
// --replicaof with the grant, or --replicaof no one, to every start: exec-arguments.ts). The grant
// is the host's record, sent with every call: an instance the host replaced after a trap, and a
// host killed and started again, grant the same source and refuse every other.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { PrivateRedis } from '../support/private-redis.js';
import { alive, startRedisGuest, type RedisGuest } from '../support/redis-guest.js';
import type { BerthError } from '../../datastores/errors/berth-error.js';
import { until } from '../support/guest-host.js';

const cleanups: Array<() => Promise<unknown>> = [];
let guest: RedisGuest;
let source: PrivateRedis;
let elsewhere: PrivateRedis;

beforeAll(async () => {
  [source, elsewhere] = await Promise.all([PrivateRedis.create(), PrivateRedis.create()]);
  guest = await startRedisGuest(cleanups, {
    entry: join(PACKAGE_ROOT, 'test', 'security', 'managers', 'replicaof-config.ts'),
    editConfig(config) {
      const port = config.options.port as number;
      config.options = {};
      config.grants = { ...config.grants, connections: { admin: { kind: 'redis', url: `redis://127.0.0.1:${port}` } } };
    },
  });
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const server of [source, elsewhere]) server?.destroy();
});

/** A redis.conf that makes the server follow `port`, as a hostile manager writes it. */
const hostileConf = (port: number) =>
  [`port ${guest.port}`, 'bind 127.0.0.1', 'daemonize yes', 'pidfile redis.pid', 'logfile redis.log', 'dir .', 'save ""', 'appendonly no', `replicaof 127.0.0.1 ${port}`, ''].join('\n');
const order = (value: { start?: string; command?: string[] }) => JSON.stringify(value);
const obey = (value: { start?: string; command?: string[] }) => guest.call('wait-for-txn', [order(value), 1]);
const snapshot = (port: number, value: { start?: string; command?: string[] }) => ({
  snapshotId: '',
  logPosition: '0',
  source: { host: '127.0.0.1', port, user: 'berth_replica', password: 'secret', extra: [] },
  datasetSize: 0n,
  extra: [{ key: 'order', value: order(value) }],
});
const attach = (port: number, value: { start?: string; command?: string[] }) => guest.call('attach-replica', [snapshot(port, value), []]);
const denied = { err: { tag: 'denied', val: expect.stringMatching(/REPLICAOF is refused/) } };

async function following(): Promise<string> {
  const client = guest.client();
  try {
    await client.connect();
    const info = await client.info('replication');
    return /^role:master/m.test(info) ? 'nobody' : `${/^master_host:(.*)\r?$/m.exec(info)?.[1]}:${/^master_port:(\d+)/m.exec(info)?.[1]}`;
  } finally {
    client.disconnect();
  }
}

/** SHUTDOWN through the manager's connection (its answer is the dropped connection), waited for: the next start needs the port. */
async function stopServer(): Promise<void> {
  const pid = guest.pid();
  expect(pid).toBeDefined();
  await obey({ command: ['SHUTDOWN', 'NOSAVE'] });
  await until(() => !alive(pid!), 'redis-server to stop', 10_000);
}

describe('redis-server started by a hostile manager from a config file naming a host to follow', () => {
  it('follows nobody while no attach-replica named a source', async () => {
    expect(await obey({ start: hostileConf(elsewhere.port) })).toEqual({ ok: undefined });
    expect(await following()).toBe('nobody');
    await stopServer();
  });

  it('follows the source attach-replica names, not the one in the file', async () => {
    expect(await attach(source.port, { start: hostileConf(elsewhere.port) })).toEqual({ ok: undefined });
    expect(await following()).toBe(`127.0.0.1:${source.port}`);
  });

  it('keeps the grant, and only it, in an instance the host replaced after a trap', async () => {
    const trapped = await guest.call('get-replication-snapshot', ['', []]).catch((error: unknown) => error);
    expect((trapped as BerthError).code).toBe('BERTH_ERR_CALL_TRAPPED');
    expect(await obey({ command: ['REPLICAOF', '127.0.0.1', String(elsewhere.port)] })).toEqual(denied);
    expect(await obey({ command: ['REPLICAOF', 'NO', 'ONE'] })).toEqual({ ok: undefined });
    expect(await obey({ command: ['REPLICAOF', '127.0.0.1', String(source.port)] })).toEqual({ ok: undefined });
    expect(await following()).toBe(`127.0.0.1:${source.port}`);
  });

  it('keeps the grant, and only it, across a host restart', async () => {
    process.kill(guest.hostPid(), 'SIGKILL');
    await until(() => !guest.hub.isConnected('inst-1'), 'the killed host to drop off', 10_000);
    await guest.restartHost();
    expect(await obey({ command: ['REPLICAOF', '127.0.0.1', String(elsewhere.port)] })).toEqual(denied);
    await stopServer();
    expect(await obey({ start: hostileConf(elsewhere.port) })).toEqual({ ok: undefined });
    expect(await following()).toBe(`127.0.0.1:${source.port}`);
  });

  it('follows nobody again once detach-replica took the grant back', async () => {
    expect(await guest.call('detach-replica', [false])).toEqual({ ok: { sourceId: '', transactionId: '0' } });
    await stopServer();
    expect(await obey({ start: hostileConf(elsewhere.port) })).toEqual({ ok: undefined });
    expect(await following()).toBe('nobody');
    expect(await obey({ command: ['REPLICAOF', '127.0.0.1', String(source.port)] })).toEqual(denied);
  });
});
