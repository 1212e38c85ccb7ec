import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverConfigSchema } from '../../../server/config/server-config.js';
import { memoryShareMb } from '../../../datastores/sdk/memory-sizing.js';
import { apiRequest, startTestServer, waitFor, type StartedTestServer } from '../../support/server.js';
import { TroveClients } from '../../support/trove-clients.js';
import { berthProcess, errorOf, type CliResult } from '../../support/cli.js';
import { ERRORS } from '../../../datastores/errors/catalogue.js';

/**
 * Flavors, volumes and the rest of Trove's create body, through Berth's API
 * and the unmodified `openstack` CLI, against a real server and guest.
 */
const TOKEN = 'acme-token-for-the-flavor-tests';
const ALICE = { name: 'alice', password: 'correct horse battery staple', project: 'acme' };
let setup: StartedTestServer;
let clients: TroveClients;
let home: string;
const api = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, TOKEN, method, `/v1.0/acme${path}`, body);
const berth = (...args: string[]): Promise<CliResult> => berthProcess([...args, '--url', setup.server.url, '--project', 'acme', '--token', TOKEN], { home });
const create = (instance: Record<string, unknown>) => api('POST', '/instances', { instance: { name: 'sized', datastore: { type: 'counter', version: '1' }, ...instance } });

beforeAll(async () => {
  setup = await startTestServer({
    name: 'flavors',
    projects: { acme: TOKEN },
    users: [{ name: ALICE.name, password: ALICE.password, projects: [ALICE.project] }],
    managers: { counter: 'counter' },
    datastores: [{ name: 'counter', versions: [{ name: '1', manager: 'counter' }] }],
    timeouts: { report_interval: 1 },
    stopGuestsOnClose: true,
  });
  home = await mkdtemp(join(tmpdir(), 'berth-flavors-home-'));
  clients = new TroveClients(setup.server.url, ALICE, TOKEN, home);
}, 180_000);
afterAll(async () => {
  await setup?.cleanup();
  if (home) await rm(home, { recursive: true, force: true });
}, 60_000);

describe('flavors', () => {
  it('lists and shows the built-in flavors in Trove shape, in the API and in openstack database flavor list', async () => {
    const listed = await api('GET', '/flavors');
    expect(listed.body.flavors.map((f: { str_id: string; ram: number }) => [f.str_id, f.ram])).toEqual([['1', 512], ['2', 2048], ['3', 8192]]);
    expect(listed.body.flavors[0]).toMatchObject({ id: 1, name: 'berth.small', vcpus: 1, disk: 5, links: expect.any(Array) });
    const osc = await clients.openstackJson<Array<{ ID: string | number; Name: string; RAM: number }>>(['database', 'flavor', 'list']);
    expect(osc.map((row) => [String(row.ID), row.Name, row.RAM])).toEqual([['1', 'berth.small', 512], ['2', 'berth.medium', 2048], ['3', 'berth.large', 8192]]);
    const shown = await clients.openstackJson(['database', 'flavor', 'show', '2'], 'token');
    expect(shown).toMatchObject({ name: 'berth.medium', ram: 2048 });
    const missing = await api('GET', '/flavors/9');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'BERTH_ERR_FLAVOR_NOT_FOUND']);
  });

  it('refuses a config with duplicate flavor ids or none, naming the field', () => {
    const duplicate = serverConfigSchema.safeParse({ flavors: [{ id: '1', name: 'a', ram: 512 }, { id: '1', name: 'b', ram: 1024 }] });
    expect(duplicate.success ? [] : duplicate.error.issues.map((issue) => issue.path.join('.'))).toEqual(['flavors']);
    const none = serverConfigSchema.safeParse({ flavors: [] });
    expect(none.success).toBe(false);
    expect(serverConfigSchema.parse({}).flavors.map((f) => f.id)).toEqual(['1', '2', '3']);
  });

  it('sizes buffers from a share of the flavor RAM, with a floor, and leaves them alone without one', () => {
    expect(memoryShareMb(512, 0.25, 16)).toBe(128);
    expect(memoryShareMb(2048, 0.5, 32)).toBe(1024);
    expect(memoryShareMb(40, 0.25, 16)).toBe(16);
    expect(memoryShareMb(0, 0.25, 16)).toBeUndefined();
  });
});

describe('create with Trove fields, and resize', () => {
  let id = '';

  it('refuses an unknown flavorRef and fields Berth cannot honour, each naming the field, and creates nothing', async () => {
    const unknown = await create({ flavorRef: '42' });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'BERTH_ERR_FLAVOR_NOT_FOUND']);
    expect(unknown.body.error.message).toContain('flavorRef');
    for (const [field, body] of [
      ['access', { access: { is_public: true } }],
      ['nics', { nics: [{ network_id: 'n' }] }],
      // replication is offered now: a replica_of that is no instance id is refused naming the field
      ['replica_of', { replica_of: 'not-an-instance-id' }],
      ['replica_count', { replica_count: 0 }],
      ['volume', { volume: { size: 0 } }],
      ['region_name', { region_name: 'elsewhere' }],
    ] as const) {
      const refused = await create(body);
      expect([refused.status, refused.body.error.code], field).toEqual([400, 'BERTH_ERR_VALIDATION']);
      expect(refused.body.badRequest.message, field).toContain(field);
    }
    expect((await api('GET', '/instances')).body.instances).toEqual([]);
  });

  it('creates with openstack database instance create --flavor --size (it sends access, volume.type and nics) and shows flavor and volume', async () => {
    const created = await clients.openstackJson(['database', 'instance', 'create', 'sized', '--flavor', '2', '--size', '3', '--datastore', 'counter', '--datastore-version', '1'], 'token');
    id = created.id;
    const shown = await waitFor(() => api('GET', `/instances/${id}`), (r) => r.body.instance.status === 'ACTIVE', 'ACTIVE', 60_000, 200);
    expect(shown.body.instance).toMatchObject({ flavor: { id: '2' }, volume: { size: 3, used: expect.any(Number) }, region: 'RegionOne', access: { is_public: false } });
    const listed = await clients.openstackJson<Array<{ ID: string; 'Flavor ID': string; Size: number }>>(['database', 'instance', 'list']);
    expect(listed.map((row) => [row.ID, String(row['Flavor ID']), row.Size])).toEqual([[id, '2', 3]]);
    const osc = await clients.openstackJson(['database', 'instance', 'show', id]);
    expect(osc).toMatchObject({ flavor: '2', volume: 3 });
  });

  it('refuses resize-volume and resize-flavor on the local provisioner with their codes, and a non-growing size', async () => {
    const volume = await clients.openstack(['database', 'instance', 'resize', 'volume', id, '5'], { json: false });
    expect(volume.code).not.toBe(0);
    expect(volume.stderr).toMatch(/BERTH_ERR_VOLUME_NOT_RESIZABLE/);
    const flavor = await api('POST', `/instances/${id}/action`, { resize: { flavorRef: '3' } });
    expect([flavor.status, flavor.body.error.code]).toEqual([400, 'BERTH_ERR_FLAVOR_NOT_RESIZABLE']);
    const shrink = await api('POST', `/instances/${id}/action`, { resize: { volume: { size: 2 } } });
    expect([shrink.status, shrink.body.error.code]).toEqual([400, 'BERTH_ERR_VALIDATION']);
    const bad = await api('POST', `/instances/${id}/action`, { resize: { volume: { size: 'five' } } });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'BERTH_ERR_VALIDATION']);
    expect((await api('GET', `/instances/${id}`)).body.instance).toMatchObject({ status: 'ACTIVE', volume: { size: 3 } });
  });

  it('berth flavor list/show, instance show with flavor and volume, and resize-volume refused with its code and exit code', async () => {
    const listed = await berth('flavor', 'list', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).flavors.map((f: { str_id: string }) => f.str_id)).toEqual(['1', '2', '3']);
    const shown = await berth('flavor', 'show', '3');
    expect(shown.stdout).toMatch(/ram\s+8192 MB/);
    expect((await berth('instance', 'show', 'sized')).stdout).toMatch(/volume\s+3 GB/);
    const refused = await berth('instance', 'resize-volume', 'sized', '5', '--json');
    expect(errorOf(refused).code).toBe('BERTH_ERR_VOLUME_NOT_RESIZABLE');
    expect(refused.code).toBe(ERRORS.BERTH_ERR_VOLUME_NOT_RESIZABLE.exitCode);
    const created = await berth('instance', 'create', 'other', '--datastore', 'counter', '--flavor', '9', '--json');
    expect(errorOf(created).code).toBe('BERTH_ERR_FLAVOR_NOT_FOUND');
  });
});
