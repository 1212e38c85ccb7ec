import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { redisDatastore } from '../../../server/registry/builtin-datastores.js';
import { processesMarkedWith, processesWorkingIn } from '../../../server/provisioning/local-machine.js';
import { connect } from 'node:net';
import { apiRequest, startTestServer, waitFor, type StartedTestServer, type TestServer } from '../../support/server.js';

// The Redis manager through the server's REST API: a real redis-server per instance on a
// free port, started by the manager on a local guest host. Databases and users are the
// partial-support path: refused by the server from the manifest, no guest round trip.
const TOKEN = 'redis-token-0123456789abcdef';
const REDIS_SERVER = '/usr/bin/redis-server';
let setup: StartedTestServer;
let server: TestServer;

beforeAll(async () => {
  if (!existsSync(REDIS_SERVER)) throw new Error(`${REDIS_SERVER} is missing: install Debian's redis-server`);
  const datastore = redisDatastore('7', REDIS_SERVER, { path: '/placeholder', sha256: '0'.repeat(64) });
  setup = await startTestServer({
    name: 'redis-api',
    projects: { acme: TOKEN },
    managers: { redis: { entry: join(PACKAGE_ROOT, 'datastores', 'redis', 'manager.ts') } },
    timeouts: { report_interval: 1, heartbeat_expiry: 15, slow_call: 120 },
    datastores: [{ ...datastore, versions: [{ name: '7', manager: 'redis' }] } as never],
  });
  server = setup.server;
}, 300_000);
afterAll(() => setup?.cleanup(), 120_000);

const api = (method: string, path: string, body?: unknown) => apiRequest(server.url, TOKEN, method, `/v1.0/acme${path}`, body);

async function waitActive(id: string): Promise<{ port: number }> {
  const shown = await waitFor(() => api('GET', `/instances/${id}`), (r) => ['ACTIVE', 'ERROR'].includes(r.body.instance.status), `instance ${id}`, 120_000);
  if (shown.body.instance.status !== 'ACTIVE') throw new Error(`instance ${id} is not ACTIVE: ${JSON.stringify(shown.body.instance)}`);
  return shown.body.instance;
}

async function client(port: number, password?: string): Promise<Redis> {
  const redis = new Redis({ host: '127.0.0.1', port, password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // refusals are asserted through connect() and commands; the client's own error events would only be noise
  redis.on('error', () => undefined);
  await redis.connect();
  return redis;
}

describe('the Redis manager through the REST API', () => {
  let id: string;
  let port: number;

  it('creates an instance: ACTIVE, with a port a real client reads and writes', async () => {
    const created = await api('POST', '/instances', { instance: { name: 'cache', datastore: { type: 'redis' } } });
    expect(created.status).toBe(200);
    id = created.body.instance.id;
    port = (await waitActive(id)).port;
    const redis = await client(port);
    await redis.set('greeting', 'ahoy');
    expect(await redis.get('greeting')).toBe('ahoy');
    redis.disconnect();
  });

  it('refuses databases and users without a guest round trip', async () => {
    const tasks = (await server.store.tasks.listForInstance(id)).length;
    for (const [method, path, body] of [
      ['GET', `/instances/${id}/databases`],
      ['POST', `/instances/${id}/databases`, { databases: [{ name: 'x' }] }],
      ['GET', `/instances/${id}/users`],
      ['POST', `/instances/${id}/users`, { users: [{ name: 'u', password: 'p-123456' }] }],
    ] as const) {
      const refused = await api(method, path, body);
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('BERTH_ERR_OPERATION_UNSUPPORTED');
    }
    expect((await server.store.tasks.listForInstance(id)).length).toBe(tasks);
  });

  it('enables root: clients then need the password; disabling lifts it', async () => {
    const enabled = await api('POST', `/instances/${id}/root`);
    const password = enabled.body.user.password as string;
    // ioredis says HELLO first, which an unauthenticated client may not: the connection is refused
    await expect(client(port)).rejects.toThrow();
    const root = await client(port, password);
    expect(await root.get('greeting')).toBe('ahoy');
    root.disconnect();
    expect((await api('GET', `/instances/${id}/root`)).body).toEqual({ rootEnabled: true });
    expect((await api('DELETE', `/instances/${id}/root`)).status).toBe(202);
    const open = await client(port);
    expect(await open.get('greeting')).toBe('ahoy');
    open.disconnect();
  });

  it('restarts, and stops and starts, keeping the data', async () => {
    expect((await api('POST', `/instances/${id}/action`, { restart: {} })).status).toBe(202);
    await waitActive(id);
    expect((await api('POST', `/instances/${id}/action`, { stop: {} })).status).toBe(202);
    await waitFor(() => api('GET', `/instances/${id}`), (r) => r.body.instance.status === 'SHUTDOWN', 'SHUTDOWN', 60_000);
    await expect(client(port)).rejects.toThrow();
    expect((await api('POST', `/instances/${id}/action`, { start: {} })).status).toBe(202);
    await waitActive(id);
    const redis = await client(port);
    expect(await redis.get('greeting')).toBe('ahoy');
    redis.disconnect();
  });

  it('shows a killed redis-server as ERROR (CRASHED) and recovers on restart', async () => {
    const pid = Number(readFileSync(join(setup.dir, 'instances', id, 'volume', 'redis.pid'), 'utf8').trim());
    process.kill(pid, 'SIGKILL');
    const crashed = await waitFor(() => api('GET', `/instances/${id}`), (r) => r.body.instance.status === 'ERROR', 'the crash to show', 60_000);
    expect(crashed.body.instance.service_status).toBe('CRASHED');
    expect((await api('POST', `/instances/${id}/action`, { restart: {} })).status).toBe(202);
    // ERROR until the next heartbeat says RUNNING
    await waitFor(() => api('GET', `/instances/${id}`), (r) => r.body.instance.status === 'ACTIVE', 'ACTIVE again', 60_000);
  });

  let restored: string;
  it('backs up the RDB and restores it into a new instance', async () => {
    const redis = await client(port);
    await redis.set('after', 'the crash');
    redis.disconnect();
    const created = await api('POST', '/backups', { backup: { name: 'rdb', instance: id } });
    const backup = await waitFor(() => api('GET', `/backups/${created.body.backup.id}`), (r) => !['NEW', 'BUILDING'].includes(r.body.backup.status), 'the backup', 60_000);
    expect(backup.body.backup).toMatchObject({ status: 'COMPLETED', format: 'redis-rdb' });
    const copy = await api('POST', '/instances', { instance: { name: 'copy', datastore: { type: 'redis' }, restorePoint: { backupRef: created.body.backup.id } } });
    restored = copy.body.instance.id;
    const { port: copyPort } = await waitActive(restored);
    const copied = await client(copyPort);
    expect(await copied.mget('greeting', 'after')).toEqual(['ahoy', 'the crash']);
    copied.disconnect();
  });

  it('deletes instances: redis-server, everything its host started, the port and the files are gone', async () => {
    for (const instance of [id, restored]) {
      const dir = join(setup.dir, 'instances', instance);
      const { port: instancePort } = await waitActive(instance);
      expect(processesWorkingIn(dir).length).toBeGreaterThan(0);
      expect(await listening(instancePort)).toBe(true);
      expect((await api('DELETE', `/instances/${instance}`)).status).toBe(202);
      expect(processesWorkingIn(dir)).toEqual([]);
      // (redis-server overwrites its environment with its process title: its mark cannot be read, see docs/security.md)
      expect(processesMarkedWith(instance)).toEqual([]);
      expect(await listening(instancePort)).toBe(false);
      expect(existsSync(dir)).toBe(false);
    }
  });
});

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
