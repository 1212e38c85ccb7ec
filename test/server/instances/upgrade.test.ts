import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withManager } from '../../../server/provisioning/manager-pin.js';
import { datastoreVersionId } from '../../../server/registry/stable-ids.js';
import { openStore } from '../../../server/store/kysely-store.js';
import { apiRequest, prepareTestServer, waitFor, type TestServer, type TestServerSetup } from '../../support/server.js';
import { berthProcess, errorOf } from '../../support/cli.js';
import { TroveClients } from '../../support/trove-clients.js';

/**
 * Trove's instance upgrade (PATCH datastore_version) on a real server with
 * the local provisioner: real guest hosts restarted on another build of the
 * upgradable fixture (test/fixtures/managers/shared/upgradable.ts).
 */

const TOKEN = 'acme-token-for-upgrades-0123';
const USER = { name: 'alice', password: 'correct horse battery staple', projects: ['acme'] };
let setup: TestServerSetup;
let server: TestServer;
let id: string;

const request = (method: string, path: string, body?: unknown) => apiRequest(server.url, TOKEN, method, `/v1.0/acme${path}`, body);
const show = async () => (await request('GET', `/instances/${id}`)).body.instance;
const settled = () => waitFor(show, (instance) => instance.status !== 'UPGRADE', 'the upgrade to end', 120_000, 200);
const pin = (version: string) => setup.config.datastores.find((d) => d.name === 'upgradable')!.versions.find((v) => v.name === version)!.manager;
const guestToml = () => readFile(join(setup.dir, 'instances', id, 'guest.toml'), 'utf8');
const databases = async () => (await request('GET', `/instances/${id}/databases`)).body.databases as Array<{ name: string; collate?: string }>;
const faultCode = (instance: { fault?: { message: string } }) => instance.fault?.message.split(':')[0];

beforeAll(async () => {
  setup = await prepareTestServer({
    name: 'upgrade',
    projects: { acme: TOKEN },
    users: [USER],
    // v4 pins build 1 in a file of its own, which a test replaces after the server checked it
    managers: { v1: 'upgrade-v1', v2: 'upgrade-v2', broken: 'upgrade-broken', v4: 'upgrade-v1', counter: 'counter' },
    timeouts: { report_interval: 0.2, heartbeat_expiry: 30 },
    datastores: [
      {
        name: 'upgradable',
        server: { usage_timeout: 60 },
        versions: [
          { name: '1', manager: 'v1' },
          { name: '2', manager: 'v2' },
          { name: '3', manager: 'broken' },
          { name: '4', manager: 'v4' },
        ],
      },
      { name: 'counter', versions: [{ name: '9', manager: 'counter' }] },
    ],
  });
  server = await setup.start();
  const created = await request('POST', '/instances', { instance: { name: 'shop', datastore: { type: 'upgradable', version: '1' } } });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  id = created.body.instance.id;
  await waitFor(show, (instance) => instance.status === 'ACTIVE', 'ACTIVE', 60_000);
  expect((await request('POST', `/instances/${id}/databases`, { databases: [{ name: 'sales' }, { name: 'stock' }] })).status).toBe(202);
}, 600_000);
afterAll(() => setup?.cleanup());

describe('PATCH /instances/{id} with datastore_version', () => {
  it('refuses an unknown version, another datastore\'s version and a change combined with configuration, naming the field', async () => {
    for (const version of ['7', '9', datastoreVersionId('counter', '9')]) {
      const refused = await request('PATCH', `/instances/${id}`, { instance: { datastore_version: version } });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('BERTH_ERR_UPGRADE_VERSION');
      expect(refused.body.error.message).toContain('instance.datastore_version');
    }
    const combined = await request('PATCH', `/instances/${id}`, { instance: { datastore_version: '2', configuration: null } });
    expect(combined.body.error.code).toBe('BERTH_ERR_VALIDATION');
    const empty = await request('PATCH', `/instances/${id}`, { instance: { datastore_version: '' } });
    expect(empty.status).toBe(400);
    expect(await show()).toMatchObject({ status: 'ACTIVE', datastore: { version: '1' } });
    expect(server.hub.helloOf(id)?.sha256).toBe(pin('1').sha256);
  });

  it('upgrades to the new build: UPGRADE, pre-upgrade, host restarted on its sha256, post-upgrade with what was saved, ACTIVE on the new version, data intact', async () => {
    const accepted = await request('PATCH', `/instances/${id}`, { instance: { datastore_version: '2' } });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    // on record before the answer
    expect((await show()).status).toBe('UPGRADE');
    const refused = await request('POST', `/instances/${id}/databases`, { databases: [{ name: 'during' }] });
    expect(refused.body.error.code).toBe('BERTH_ERR_INSTANCE_STATE');
    const instance = await settled();
    expect(instance).toMatchObject({ status: 'ACTIVE', datastore: { type: 'upgradable', version: '2' } });
    expect(instance.fault).toBeUndefined();
    expect(server.hub.helloOf(id)?.sha256).toBe(pin('2').sha256);
    expect(pin('2').sha256).not.toBe(pin('1').sha256);
    expect(await guestToml()).toContain(pin('2').sha256);
    // the new build answers, over the same data
    expect(await databases()).toEqual([
      { name: 'sales', collate: '2.0.0' },
      { name: 'stock', collate: '2.0.0' },
    ]);
    const upgrades = await readFile(join(setup.dir, 'instances', id, 'volume', 'upgrades'), 'utf8');
    expect(upgrades).toBe('2.0.0 got from-build=1.0.0,databases=2\n');
    const record = await server.store.instances.getById(id);
    expect(record).toMatchObject({ datastoreVersion: '2', upgrade: null });
  });

  it('treats the version the instance runs as nothing to do, as Trove does', async () => {
    const before = (await server.store.tasks.listForInstance(id)).length;
    const same = await request('PATCH', `/instances/${id}`, { instance: { datastore_version: datastoreVersionId('upgradable', '2') } });
    expect(same.status).toBe(202);
    expect(await show()).toMatchObject({ status: 'ACTIVE', datastore: { version: '2' } });
    expect((await server.store.tasks.listForInstance(id)).length).toBe(before);
  });

  it('rolls back when the new build\'s post-upgrade fails: the old build again, ACTIVE on the old version, the fault with its code', async () => {
    const accepted = await request('PATCH', `/instances/${id}`, { instance: { datastore_version: datastoreVersionId('upgradable', '3') } });
    expect(accepted.status).toBe(202);
    const instance = await settled();
    expect(instance).toMatchObject({ status: 'ACTIVE', datastore: { version: '2' } });
    expect(faultCode(instance)).toBe('BERTH_ERR_UPGRADE_FAILED');
    const tasks = await server.store.tasks.listForInstance(id);
    const post = tasks.filter((t) => t.operation === 'post-upgrade').at(-1);
    expect(JSON.parse(post!.outcome!).err.tag).toBe('failed');
    expect(server.hub.helloOf(id)?.sha256).toBe(pin('2').sha256);
    expect(await guestToml()).toContain(pin('2').sha256);
    expect(await databases()).toEqual([
      { name: 'sales', collate: '2.0.0' },
      { name: 'stock', collate: '2.0.0' },
    ]);
    expect(await server.store.instances.getById(id)).toMatchObject({ datastoreVersion: '2', upgrade: null });
  });

  it('rolls back when the new build\'s guest host refuses to start, before its usage_timeout', async () => {
    const file = pin('4').path;
    const bytes = await readFile(file);
    // the host checks the file against the sha256 its guest config pins, and exits refusing it
    await writeFile(file, 'not the build the registry checked');
    try {
      const accepted = await request('PATCH', `/instances/${id}`, { instance: { datastore_version: '4' } });
      expect(accepted.status).toBe(202);
      const instance = await settled();
      expect(instance).toMatchObject({ status: 'ACTIVE', datastore: { version: '2' } });
      expect(faultCode(instance)).toBe('BERTH_ERR_UPGRADE_FAILED');
      expect(instance.fault.message).toContain('BERTH_ERR_WASM_SHA256_MISMATCH');
      expect(server.hub.helloOf(id)?.sha256).toBe(pin('2').sha256);
      expect((await databases()).map((d) => d.name)).toEqual(['sales', 'stock']);
    } finally {
      await writeFile(file, bytes);
    }
  });

  it('after a server restart mid-upgrade puts the guest back on the old build, ACTIVE on the old version with its fault code', async () => {
    const listen = new URL(server.url);
    await server.close();
    // as if the server died after the host was swapped to build 3, before post-upgrade: record and guest config say so
    const store = await openStore(setup.config.database?.url ?? `sqlite:${join(setup.dir, 'berth.db')}`);
    const upgrade = { from: { version: '2', sha256: pin('2').sha256 }, to: { version: '3', sha256: pin('3').sha256 }, phase: 'swapping' as const, startedAt: Date.now() };
    await store.instances.update(id, { status: 'UPGRADE', upgrade });
    await store.close();
    await writeFile(join(setup.dir, 'instances', id, 'guest.toml'), withManager(await guestToml(), pin('3')), { mode: 0o600 });
    setup.config.server.listen = `${listen.hostname}:${listen.port}`;
    server = await setup.start();
    const instance = await settled();
    expect(instance).toMatchObject({ status: 'ACTIVE', datastore: { version: '2' } });
    expect(faultCode(instance)).toBe('BERTH_ERR_UPGRADE_INTERRUPTED');
    await waitFor(async () => server.hub.helloOf(id)?.sha256, (sha) => sha === pin('2').sha256, 'the guest on build 2');
    expect(await guestToml()).toContain(pin('2').sha256);
    expect((await databases()).map((d) => d.name)).toEqual(['sales', 'stock']);
  });
});

describe("the Trove clients' upgrade", () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'berth-upgrade-home-'));
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  it('trove upgrade <instance> <datastore_version> upgrades through the same PATCH', async () => {
    const clients = new TroveClients(server.url, { name: USER.name, password: USER.password, project: 'acme' }, TOKEN, home);
    await clients.troveOk(['upgrade', id, '1']);
    const instance = await settled();
    expect(instance).toMatchObject({ status: 'ACTIVE', datastore: { version: '1' } });
    expect(instance.fault).toBeUndefined();
    expect(server.hub.helloOf(id)?.sha256).toBe(pin('1').sha256);
    const failed = await clients.trove(['upgrade', id, '7']);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/HTTP 400/);
    expect(failed.stderr).toContain('BERTH_ERR_UPGRADE_VERSION');
  });

  it('openstack database instance upgrade <instance> <datastore_version> too', async () => {
    const clients = new TroveClients(server.url, { name: USER.name, password: USER.password, project: 'acme' }, TOKEN, home);
    await clients.openstackOk(['database', 'instance', 'upgrade', id, '2']);
    expect(await settled()).toMatchObject({ status: 'ACTIVE', datastore: { version: '2' } });
    expect(server.hub.helloOf(id)?.sha256).toBe(pin('2').sha256);
    await clients.openstackOk(['database', 'instance', 'upgrade', id, '1']);
    expect(await settled()).toMatchObject({ status: 'ACTIVE', datastore: { version: '1' } });
  });

  it('berth instance upgrade --wait ends ACTIVE on the new version, or exits with the rollback\'s code', async () => {
    const env = { BERTH_URL: server.url, BERTH_PROJECT: 'acme', BERTH_TOKEN: TOKEN };
    const upgraded = await berthProcess(['instance', 'upgrade', 'shop', '2', '--wait', '--json'], { home, env });
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(JSON.parse(upgraded.stdout).instance).toMatchObject({ status: 'ACTIVE', datastore: { version: '2' } });
    const rolledBack = await berthProcess(['instance', 'upgrade', 'shop', '3', '--wait', '--json'], { home, env });
    expect(rolledBack.code).not.toBe(0);
    expect(errorOf(rolledBack).code).toBe('BERTH_ERR_UPGRADE_FAILED');
    const unknown = await berthProcess(['instance', 'upgrade', 'shop', '7', '--json'], { home, env });
    expect(errorOf(unknown).code).toBe('BERTH_ERR_UPGRADE_VERSION');
    expect(await show()).toMatchObject({ status: 'ACTIVE', datastore: { version: '2' } });
  });

  it('after a server restart once post-upgrade had succeeded completes the upgrade instead', async () => {
    expect(server.hub.helloOf(id)?.sha256).toBe(pin('2').sha256);
    const listen = new URL(server.url);
    await server.close();
    // as if the server died right after the new build's post-upgrade answered, before the record said ACTIVE
    const store = await openStore(setup.config.database?.url ?? `sqlite:${join(setup.dir, 'berth.db')}`);
    const startedAt = Date.now() - 1000;
    const upgrade = { from: { version: '1', sha256: pin('1').sha256 }, to: { version: '2', sha256: pin('2').sha256 }, phase: 'post-upgrade' as const, startedAt };
    await store.instances.update(id, { status: 'UPGRADE', datastoreVersion: '1', upgrade });
    const task = await store.tasks.create({ id: randomUUID(), instanceId: id, operation: 'post-upgrade', args: '[[]]', deadlineAt: new Date(Date.now() + 60_000) });
    await store.tasks.update(task.id, 'succeeded', '{}');
    await store.close();
    setup.config.server.listen = `${listen.hostname}:${listen.port}`;
    server = await setup.start();
    const instance = await settled();
    expect(instance).toMatchObject({ status: 'ACTIVE', datastore: { version: '2' } });
    expect(instance.fault).toBeUndefined();
    await waitFor(async () => server.hub.helloOf(id)?.sha256, (sha) => sha !== undefined, 'the guest back');
    expect(server.hub.helloOf(id)?.sha256).toBe(pin('2').sha256);
    expect(await server.store.instances.getById(id)).toMatchObject({ datastoreVersion: '2', upgrade: null });
  });
});
