import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { apiRequest, startTestServer, waitFor, type ApiResponse, type StartedTestServer } from '../../support/server.js';

// Configuration parameters from the managers' manifests, on real guests: the
// `overrides` fixture declares five rules (berth:datastore@0.2.0); the example
// directory manager as built for 0.1.0 declares none.
const TOKEN = 'acme-parameters-token-0123456789';
let setup: StartedTestServer;
let plain: string;
let tuned: string;

const api = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, TOKEN, method, `/v1.0/acme${path}`, body);
const codeOf = (response: ApiResponse): string | undefined => response.body?.error?.code;
const overrideCalls = async (instanceId: string) => (await setup.server.store.tasks.listForInstance(instanceId)).filter((t) => t.operation.endsWith('-overrides')).length;
/** The settings live on the guest (the fixture lists them as its databases). */
const live = async (id: string) => ((await api('GET', `/instances/${id}/databases`)).body.databases as Array<{ name: string }>).map((d) => d.name).sort();
const group = (name: string, values: Record<string, unknown>, type = 'tunable') => api('POST', '/configurations', { configuration: { name, datastore: { type }, values } });

beforeAll(async () => {
  setup = await startTestServer({
    name: 'parameters',
    projects: { acme: TOKEN },
    managers: { overrides: 'overrides', directory: { prebuilt: join(PACKAGE_ROOT, 'test', 'fixtures', 'contract-0.1.0', 'directory.wasm.gz') } },
    timeouts: { report_interval: 0.2, heartbeat_expiry: 10 },
    datastores: [
      { name: 'tunable', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/tunable' }, versions: [{ name: '1', manager: 'overrides' }] },
      { name: 'directory', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/directory' }, versions: [{ name: '0.1', manager: 'directory' }] },
    ],
  });
  const created = await group('tuned', { work_mem: '8MB', statement_timeout: 5000 });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  tuned = created.body.configuration.id;
  plain = (await api('POST', '/instances', { instance: { name: 'plain', datastore: { type: 'tunable' }, configuration: tuned } })).body.instance.id;
  await waitFor(() => api('GET', `/instances/${plain}`), (r) => r.body.instance.status === 'ACTIVE', 'instance plain to be ACTIVE', 60_000);
}, 120_000);
afterAll(async () => {
  await setup?.cleanup();
});

describe('configuration parameters from the manifest', () => {
  it("lists a version's parameters in Trove's shape, by name or id and by version id alone", async () => {
    const version = (await api('GET', '/datastores/tunable/versions/1')).body.version;
    const listed = await api('GET', '/datastores/tunable/versions/1/parameters');
    expect(listed.status).toBe(200);
    expect(listed.body['configuration-parameters']).toEqual([
      { name: 'work_mem', datastore_version_id: version.id, restart_required: false, type: 'string', description: 'memory of one sort or hash' },
      { name: 'statement_timeout', datastore_version_id: version.id, restart_required: false, type: 'integer', min: 0, max: 2147483647 },
      { name: 'jit', datastore_version_id: version.id, restart_required: true, type: 'boolean' },
      { name: 'seq_page_cost', datastore_version_id: version.id, restart_required: false, type: 'float', min: 0, max: 1.5e10 },
      { name: 'log_level', datastore_version_id: version.id, restart_required: false, type: 'string', allowed_values: ['debug', 'info', 'warning'] },
    ]);
    expect((await api('GET', `/datastores/tunable/versions/${version.id}/parameters`)).body).toEqual(listed.body);
    expect((await api('GET', `/datastores/versions/${version.id}/parameters`)).body).toEqual(listed.body);
    const one = await api('GET', '/datastores/tunable/versions/1/parameters/statement_timeout');
    expect(one.body).toEqual(listed.body['configuration-parameters'][1]);
    expect((await api('GET', `/datastores/versions/${version.id}/parameters/JIT`)).body).toEqual(listed.body['configuration-parameters'][2]);
  });

  it('answers not found for an unknown parameter, datastore or version', async () => {
    const version = (await api('GET', '/datastores/tunable/versions/1')).body.version;
    expect(codeOf(await api('GET', '/datastores/tunable/versions/1/parameters/no_such'))).toBe('BERTH_ERR_PARAMETER_NOT_FOUND');
    expect((await api('GET', `/datastores/versions/${version.id}/parameters/no_such`)).status).toBe(404);
    expect(codeOf(await api('GET', '/datastores/nosuch/versions/1/parameters'))).toBe('BERTH_ERR_DATASTORE_NOT_FOUND');
    expect(codeOf(await api('GET', '/datastores/tunable/versions/9/parameters'))).toBe('BERTH_ERR_DATASTORE_NOT_FOUND');
    expect(codeOf(await api('GET', '/datastores/versions/00000000-0000-0000-0000-000000000000/parameters'))).toBe('BERTH_ERR_DATASTORE_NOT_FOUND');
  });

  it('refuses at create an unknown key, a wrong type, a value out of range or not allowed, naming the key; nothing is stored', async () => {
    const refusals: Array<[Record<string, unknown>, string, string]> = [
      [{ work_mem: '8MB', no_such_setting: 1 }, 'no_such_setting', 'not a configuration parameter'],
      [{ statement_timeout: '5s' }, 'statement_timeout', 'an integer from 0 to 2147483647'],
      [{ statement_timeout: -1 }, 'statement_timeout', 'an integer from 0 to 2147483647'],
      [{ statement_timeout: 1.5 }, 'statement_timeout', 'an integer'],
      [{ jit: 'on' }, 'jit', 'a boolean'],
      [{ seq_page_cost: 2e10 }, 'seq_page_cost', 'a number from 0 to 15000000000'],
      [{ log_level: 'trace' }, 'log_level', 'one of "debug", "info", "warning"'],
    ];
    for (const [values, key, expected] of refusals) {
      const refused = await group('bad', values);
      expect(refused.status, JSON.stringify(values)).toBe(400);
      expect(codeOf(refused)).toBe('BERTH_ERR_CONFIGURATION_VALUE_INVALID');
      expect(refused.body.error.message).toContain(key);
      expect(`${refused.body.error.message} ${refused.body.error.fix ?? ''}`).toContain(expected);
    }
    expect((await api('GET', '/configurations')).body.configurations.map((g: { name: string }) => g.name)).toEqual(['tuned']);
    // values that fit, keys in any case, are taken
    const fits = await group('fits', { WORK_MEM: '1MB', seq_page_cost: 2, log_level: 'INFO', jit: false });
    expect(fits.status, JSON.stringify(fits.body)).toBe(200);
    expect((await api('DELETE', `/configurations/${fits.body.configuration.id}`)).status).toBe(202);
  });

  it('refuses PUT and PATCH of an attached group without any guest call; group and guest stay as they were', async () => {
    const before = await overrideCalls(plain);
    const liveBefore = await live(plain);
    expect(liveBefore).toEqual(['statement_timeout=integer:5000', 'work_mem=text:8MB']);
    const patched = await api('PATCH', `/configurations/${tuned}`, { configuration: { values: { work_mem: '16MB', no_such_setting: 1 } } });
    expect(codeOf(patched)).toBe('BERTH_ERR_CONFIGURATION_VALUE_INVALID');
    expect(patched.body.error.message).toContain('no_such_setting');
    const put = await api('PUT', `/configurations/${tuned}`, { configuration: { values: { statement_timeout: 3e9 } } });
    expect(codeOf(put)).toBe('BERTH_ERR_CONFIGURATION_VALUE_INVALID');
    expect(put.body.error.message).toContain('statement_timeout');
    expect(await overrideCalls(plain)).toBe(before);
    expect((await api('GET', `/configurations/${tuned}`)).body.configuration.values).toEqual({ work_mem: '8MB', statement_timeout: 5000 });
    expect(await live(plain)).toEqual(liveBefore);
    // a good change still goes through to the guest
    expect((await api('PATCH', `/configurations/${tuned}`, { configuration: { values: { jit: true } } })).status).toBe(202);
    expect(await overrideCalls(plain)).toBeGreaterThan(before);
    expect(await live(plain)).toEqual(['jit=boolean:true', 'statement_timeout=integer:5000', 'work_mem=text:8MB']);
  });

  it("serves an instance's configuration in Trove's shape: its group's values, {} without one", async () => {
    const shown = await api('GET', `/instances/${plain}/configuration`);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({ instance: { configuration: { work_mem: '8MB', statement_timeout: 5000, jit: true } } });
    const bare = (await api('POST', '/instances', { instance: { name: 'bare', datastore: { type: 'directory' } } })).body.instance.id;
    expect((await api('GET', `/instances/${bare}/configuration`)).body).toEqual({ instance: { configuration: {} } });
    expect(codeOf(await api('GET', '/instances/00000000-0000-0000-0000-000000000000/configuration'))).toBe('BERTH_ERR_INSTANCE_NOT_FOUND');
  });

  it('a manager built for berth:datastore@0.1.0 declares no parameters: any key is stored, for the manager to judge', async () => {
    expect((await api('GET', '/datastores/directory/versions/0.1/parameters')).body).toEqual({ 'configuration-parameters': [] });
    expect(codeOf(await api('GET', '/datastores/directory/versions/0.1/parameters/anything'))).toBe('BERTH_ERR_PARAMETER_NOT_FOUND');
    const anything = await group('anything', { whatever: 'x', count: 3 }, 'directory');
    expect(anything.status, JSON.stringify(anything.body)).toBe(200);
  });
});
