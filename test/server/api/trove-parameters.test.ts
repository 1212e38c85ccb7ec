import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess, type CliResult } from '../../support/cli.js';
import { apiRequest, startTestServer, waitFor, type StartedTestServer } from '../../support/server.js';

/**
 * The real `openstack` CLI (python3-troveclient 8), unmodified, on
 * configuration parameters and an instance's configuration: the parameters
 * come from the `overrides` fixture's manifest, the refusal from the server.
 */
const TOKEN = 'acme-token-for-trove-parameters';
let setup: StartedTestServer;
let home: string;
let versionId: string;
let instanceId: string;

function openstack(...args: string[]): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OS_')));
  const auth = ['--os-auth-type', 'admin_token', '--os-endpoint', `${setup.server.url}/v1.0/acme`, '--os-token', TOKEN];
  return runProcess('openstack', [...auth, ...args], { env: { ...base, HOME: home } });
}
const api = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, TOKEN, method, `/v1.0/acme${path}`, body);

beforeAll(async () => {
  setup = await startTestServer({
    name: 'trove-parameters',
    projects: { acme: TOKEN },
    managers: { overrides: 'overrides' },
    timeouts: { report_interval: 0.2, heartbeat_expiry: 10 },
    datastores: [{ name: 'tunable', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/tunable' }, versions: [{ name: '1', manager: 'overrides' }] }],
  });
  home = await mkdtemp(join(tmpdir(), 'berth-trove-parameters-home-'));
  versionId = (await api('GET', '/datastores/tunable/versions/1')).body.version.id;
  const group = (await api('POST', '/configurations', { configuration: { name: 'web', datastore: { type: 'tunable' }, values: { work_mem: '8MB', jit: true } } })).body.configuration.id;
  instanceId = (await api('POST', '/instances', { instance: { name: 'shop', datastore: { type: 'tunable' }, configuration: group } })).body.instance.id;
  await waitFor(() => api('GET', `/instances/${instanceId}`), (r) => r.body.instance.status === 'ACTIVE', 'instance shop to be ACTIVE', 60_000);
}, 120_000);
afterAll(async () => {
  await setup?.cleanup();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('openstack database configuration parameter / default, against Berth', () => {
  it('lists parameters by datastore and version name, and by version id', async () => {
    const expected = [
      { Name: 'work_mem', Type: 'string', 'Min Size': '-', 'Max Size': '-', 'Restart Required': false },
      { Name: 'statement_timeout', Type: 'integer', 'Min Size': 0, 'Max Size': 2147483647, 'Restart Required': false },
      { Name: 'jit', Type: 'boolean', 'Min Size': '-', 'Max Size': '-', 'Restart Required': true },
      { Name: 'seq_page_cost', Type: 'float', 'Min Size': 0, 'Max Size': 15000000000, 'Restart Required': false },
      { Name: 'log_level', Type: 'string', 'Min Size': '-', 'Max Size': '-', 'Restart Required': false },
    ];
    const byName = await openstack('database', 'configuration', 'parameter', 'list', '1', '--datastore', 'tunable', '-f', 'json');
    expect(byName.code, byName.stderr).toBe(0);
    expect(JSON.parse(byName.stdout)).toEqual(expected);
    const byId = await openstack('database', 'configuration', 'parameter', 'list', versionId, '-f', 'json');
    expect(byId.code, byId.stderr).toBe(0);
    expect(JSON.parse(byId.stdout)).toEqual(expected);
  });

  it('shows one parameter, and fails on an unknown one', async () => {
    const shown = await openstack('database', 'configuration', 'parameter', 'show', '1', 'statement_timeout', '--datastore', 'tunable', '-f', 'json');
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual({ datastore_version_id: versionId, max: 2147483647, min: 0, name: 'statement_timeout', restart_required: false, type: 'integer' });
    const unknown = await openstack('database', 'configuration', 'parameter', 'show', versionId, 'no_such', '-f', 'json');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/HTTP 404/);
  });

  it('shows the configuration an instance runs with', async () => {
    const shown = await openstack('database', 'configuration', 'default', instanceId, '-f', 'json');
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual({ jit: true, work_mem: '8MB' });
  });

  it('is refused a group with a value out of range, naming the key', async () => {
    const refused = await openstack('database', 'configuration', 'create', 'bad', '{"statement_timeout": -1}', '--datastore', 'tunable', '--datastore-version', '1');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/statement_timeout/);
    expect(refused.stderr).toMatch(/HTTP 400/);
    expect((await api('GET', '/configurations')).body.configurations.map((g: { name: string }) => g.name)).toEqual(['web']);
  });
});
