import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { redisDatastore } from '../../../server/registry/builtin-datastores.js';
import { requireDatastorePrograms } from '../../reliability/support/datastore-cases.js';
import { apiRequest, startTestServer, waitFor, type StartedTestServer } from '../../support/server.js';
import { TroveClients } from '../../support/trove-clients.js';
import { withRedis } from '../../support/redis-client.js';
import { expectVolumeResizeRefused } from './volume-resize.js';

/**
 * Redis through the unmodified Trove clients: what Redis has (instances,
 * root, backups) works, and what it has not (databases), or the local
 * provisioner has not (a volume to grow), is refused with Berth's catalogue
 * code in the message the client prints.
 */
requireDatastorePrograms();
const { versions: _versions, ...redis } = redisDatastore('7', '/usr/bin/redis-server', { path: '/placeholder', sha256: '0'.repeat(64) }) as { versions: unknown };
const TOKEN = 'acme-token-for-the-trove-redis-workflow';
const ALICE = { name: 'alice', password: 'correct horse battery staple', project: 'acme' };

let setup: StartedTestServer;
let clients: TroveClients;
let home: string;
const state = { instance: '', port: 0, password: '' };


beforeAll(async () => {
  setup = await startTestServer({
    name: 'trove-redis',
    projects: { acme: TOKEN },
    users: [{ name: ALICE.name, password: ALICE.password, projects: [ALICE.project] }],
    managers: { redis: { entry: join(PACKAGE_ROOT, 'datastores', 'redis', 'manager.ts') } },
    timeouts: { report_interval: 1, heartbeat_expiry: 30, slow_call: 300 },
    datastores: [{ ...redis, versions: [{ name: '7', manager: 'redis' }] } as never],
    stopGuestsOnClose: true,
  });
  home = await mkdtemp(join(tmpdir(), 'berth-trove-redis-home-'));
  clients = new TroveClients(setup.server.url, ALICE, TOKEN, home);
}, 300_000);
afterAll(async () => {
  await setup?.cleanup();
  if (home) await rm(home, { recursive: true, force: true });
}, 120_000);

describe('redis through the Trove clients', { timeout: 300_000 }, () => {
  it('creates an instance (openstack, by token) that becomes ACTIVE', async () => {
    const created = await clients.openstackJson(['database', 'instance', 'create', 'cache', '--flavor', '1', '--size', '1', '--datastore', 'redis', '--datastore-version', '7'], 'token');
    expect(created.status).toBe('BUILD');
    state.instance = created.id;
    const active = await waitFor(() => clients.libraryOk('instances.get', [state.instance]), (i) => ['ACTIVE', 'ERROR'].includes(i.status), 'the instance', 180_000, 500);
    expect(active.status).toBe('ACTIVE');
    state.port = (await apiRequest(setup.server.url, TOKEN, 'GET', `/v1.0/acme/instances/${state.instance}`)).body.instance.port as number;
  });

  it('refuses databases, which Redis has not, with the catalogue code in what each client prints', async () => {
    const osc = await clients.openstack(['database', 'db', 'create', state.instance, 'orders'], { json: false });
    expect(osc.code).not.toBe(0);
    expect(osc.stderr).toMatch(/BERTH_ERR_OPERATION_UNSUPPORTED/);
    const library = await clients.library('databases.create', [state.instance, [{ name: 'orders' }]]);
    expect(library.ok ? null : library.failure.http_status).toBe(400);
    const trove = await clients.trove(['database-list', state.instance]);
    expect(trove.code).not.toBe(0);
    expect(trove.stderr).toMatch(/BERTH_ERR_OPERATION_UNSUPPORTED/);
  });

  it('enables root: the password it answers opens Redis, and show says so', async () => {
    expect((await clients.openstackJson(['database', 'root', 'show', state.instance])).is_root_enabled).toBe(false);
    const enabled = await clients.openstackJson(['database', 'root', 'enable', state.instance]);
    state.password = enabled.password;
    expect(await withRedis(state.port, state.password, (client) => client.set('cargo', 'anchor'))).toBe('OK');
    // flavor "1" has 512 MB: the manager gives Redis three quarters of it
    expect(await withRedis(state.port, state.password, (client) => client.config('GET', 'maxmemory'))).toEqual(['maxmemory', String(384 * 1024 * 1024)]);
    expect((await clients.openstackJson(['database', 'root', 'show', state.instance], 'token')).is_root_enabled).toBe(true);
  });

  it('refuses a volume resize (openstack, trove, library) with HTTP 400 and its code; the instance stays ACTIVE with its volume and data', async () => {
    await expectVolumeResizeRefused(clients, state.instance, 2);
    expect(await clients.libraryOk('instances.get', [state.instance], {}, 'token')).toMatchObject({ status: 'ACTIVE', volume: { size: 1 } });
    expect(await withRedis(state.port, state.password, (client) => client.get('cargo'))).toBe('anchor');
  });

  it('backs the instance up and deletes the backup and the instance', async () => {
    await withRedis(state.port, state.password, (client) => client.save());
    const backup = await clients.openstackJson(['database', 'backup', 'create', 'nightly', '--instance', state.instance]);
    const done = await waitFor(() => clients.openstackJson(['database', 'backup', 'show', backup.id]), (b) => ['COMPLETED', 'FAILED'].includes(b.status), 'the backup', 120_000, 500);
    expect(done.status).toBe('COMPLETED');
    await clients.openstackOk(['database', 'backup', 'delete', backup.id]);
    await clients.openstackOk(['database', 'instance', 'delete', state.instance], 'token');
    await waitFor(() => clients.library('instances.get', [state.instance]), (r) => !r.ok && r.failure.http_status === 404, 'the instance to be gone', 120_000, 500);
  });
});
