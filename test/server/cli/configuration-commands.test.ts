import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../../datastores/errors/catalogue.js';
import { berthProcess, errorOf, type CliResult } from '../../support/cli.js';
import { apiRequest, startTestServer, waitFor, type StartedTestServer } from '../../support/server.js';

const TOKEN = 'acme-token-configuration-0123';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
let setup: StartedTestServer;
let home: string;
let plain: string;

const api = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, TOKEN, method, `/v1.0/acme${path}`, body);
const berth = (...args: string[]): Promise<CliResult> => berthProcess([...args, '--url', setup.server.url, '--project', 'acme', '--token', TOKEN], { home });
const rows = (stdout: string) => stdout.trimEnd().split('\n').map((line) => line.split(/\s{2,}/));
/** The settings live on an instance's guest (the fixture lists them as its databases). */
const live = async (id: string) => ((await api('GET', `/instances/${id}/databases`)).body.databases as Array<{ name: string }>).map((d) => d.name).sort();

function expectFailure(result: CliResult, code: keyof typeof ERRORS): void {
  expect(errorOf(result).code).toBe(code);
  expect(result.code).toBe(ERRORS[code].exitCode);
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'berth-configuration-home-'));
  setup = await startTestServer({
    name: 'configuration-cli',
    projects: { acme: TOKEN },
    managers: { overrides: 'overrides' },
    timeouts: { report_interval: 0.2, heartbeat_expiry: 10 },
    datastores: [{ name: 'tunable', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/tunable' }, versions: [{ name: '1', manager: 'overrides' }] }],
  });
  plain = (await api('POST', '/instances', { instance: { name: 'plain', datastore: { type: 'tunable' } } })).body.instance.id;
  await waitFor(() => api('GET', `/instances/${plain}`), (r) => r.body.instance.status === 'ACTIVE', 'instance plain to be ACTIVE', 60_000);
});
afterAll(async () => {
  await setup?.cleanup();
  await rm(home, { recursive: true, force: true });
});

describe('berth configuration (real CLI processes, real HTTP, a real guest)', () => {
  let web: string;

  it('creates a group from key=value settings, typed as the API takes them', async () => {
    const created = await berth('configuration', 'create', 'web', '--datastore', 'tunable', '--description', 'for the shop', '--value', 'work_mem=8MB', '--value', 'statement_timeout=5000', '--value', 'jit=false');
    expect(created.code, created.stderr).toBe(0);
    web = UUID.exec(created.stdout)![0];
    expect(created.stdout).toContain(`created configuration group web (${web}) for tunable 1: 3 values`);
    expect((await api('GET', `/configurations/${web}`)).body.configuration.values).toEqual({ work_mem: '8MB', statement_timeout: 5000, jit: false });
  });

  it('lists and shows groups as tables, or the API JSON with --json', async () => {
    const listed = await berth('configuration', 'list');
    expect(listed.code, listed.stderr).toBe(0);
    expect(rows(listed.stdout)).toEqual([
      ['ID', 'NAME', 'DATASTORE', 'VERSION', 'DESCRIPTION'],
      [web, 'web', 'tunable', '1', 'for the shop'],
    ]);
    expect(JSON.parse((await berth('configuration', 'list', '--json')).stdout)).toEqual((await api('GET', '/configurations')).body);

    const shown = await berth('configuration', 'show', 'web');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^instances\s+none attached$/m);
    expect(shown.stdout).toMatch(/^work_mem\s+8MB$/m);
    expect(shown.stdout).toMatch(/^statement_timeout\s+5000$/m);
    expect(shown.stdout).toMatch(/^jit\s+false$/m);
    expect(JSON.parse((await berth('configuration', 'show', web, '--json')).stdout)).toEqual((await api('GET', `/configurations/${web}`)).body);
  });

  it("lists a version's parameters from its manager, as a table or the API JSON", async () => {
    const listed = await berth('datastore', 'parameters', 'tunable');
    expect(listed.code, listed.stderr).toBe(0);
    expect(rows(listed.stdout)).toEqual([
      ['NAME', 'TYPE', 'ALLOWED', 'RESTART'],
      ['work_mem', 'string', 'no'],
      ['statement_timeout', 'integer', '0..2147483647', 'no'],
      ['jit', 'boolean', 'yes'],
      ['seq_page_cost', 'float', '0..15000000000', 'no'],
      ['log_level', 'string', 'debug, info, warning', 'no'],
    ]);
    const json = await berth('datastore', 'parameters', 'tunable', '1', '--json');
    expect(JSON.parse(json.stdout)).toEqual((await api('GET', '/datastores/tunable/versions/1/parameters')).body);
    expectFailure(await berth('datastore', 'parameters', 'nosuch', '--json'), 'BERTH_ERR_DATASTORE_NOT_FOUND');
  });

  it('attaches a group to an instance by name: the guest has the settings and the instance shows the group', async () => {
    const attached = await berth('configuration', 'attach', 'plain', 'web');
    expect(attached.code, attached.stderr).toBe(0);
    expect(attached.stdout).toContain(`attached configuration group web (${web}) to instance plain (${plain})`);
    expect(await live(plain)).toEqual(['jit=boolean:false', 'statement_timeout=integer:5000', 'work_mem=text:8MB']);
    expect((await berth('instance', 'show', 'plain')).stdout).toMatch(new RegExp(`^configuration\\s+web \\(${web}\\)$`, 'm'));
    expect((await berth('configuration', 'show', 'web')).stdout).toMatch(new RegExp(`^instances\\s+plain \\(${plain}\\)$`, 'm'));
  });

  it('sets and unsets settings in the group and on its instance; "quoted" values stay text', async () => {
    const set = await berth('configuration', 'set', 'web', 'work_mem="64"', 'statement_timeout=250');
    expect(set.code, set.stderr).toBe(0);
    expect(await live(plain)).toEqual(['jit=boolean:false', 'statement_timeout=integer:250', 'work_mem=text:64']);
    const unset = await berth('configuration', 'unset', 'web', 'jit');
    expect(unset.code, unset.stderr).toBe(0);
    expect(await live(plain)).toEqual(['statement_timeout=integer:250', 'work_mem=text:64']);
    expect((await api('GET', `/configurations/${web}`)).body.configuration.values).toEqual({ work_mem: '64', statement_timeout: 250 });
  });

  it("reports a setting the manager's rules refuse, and a delete while attached, with their codes", async () => {
    const refused = await berth('configuration', 'set', 'web', 'bogus=1', '--json');
    expectFailure(refused, 'BERTH_ERR_CONFIGURATION_VALUE_INVALID');
    expect(errorOf(refused).message).toContain('bogus');
    // a quoted number is text, and statement_timeout takes an integer
    expectFailure(await berth('configuration', 'set', 'web', 'statement_timeout="250"', '--json'), 'BERTH_ERR_CONFIGURATION_VALUE_INVALID');
    const create = await berth('configuration', 'create', 'bad', '--datastore', 'tunable', '--value', 'statement_timeout=-5');
    expect(create.code).toBe(ERRORS.BERTH_ERR_CONFIGURATION_VALUE_INVALID.exitCode);
    expect(create.stderr).toContain('error BERTH_ERR_CONFIGURATION_VALUE_INVALID: values.statement_timeout');
    expect(create.stderr).toContain('an integer from 0 to 2147483647');
    expect((await api('GET', '/configurations')).body.configurations.map((g: { name: string }) => g.name)).toEqual(['web']);
    expect(await live(plain)).toEqual(['statement_timeout=integer:250', 'work_mem=text:64']);
    expectFailure(await berth('configuration', 'delete', 'web', '--json'), 'BERTH_ERR_CONFIGURATION_IN_USE');
    expectFailure(await berth('configuration', 'show', 'nosuch', '--json'), 'BERTH_ERR_CONFIGURATION_NOT_FOUND');
    expectFailure(await berth('configuration', 'create', 'x', '--datastore', 'tunable', '--value', 'no-equals-sign', '--json'), 'BERTH_ERR_USAGE');
  });

  it('creates an instance with --configuration: prepare gets the settings', async () => {
    const created = await berth('instance', 'create', 'shop', '--datastore', 'tunable', '--configuration', 'web', '--wait');
    expect(created.code, created.stderr).toBe(0);
    const id = UUID.exec(created.stdout)![0];
    expect(await live(id)).toEqual(['statement_timeout=integer:250', 'work_mem=text:64']);
    expect((await api('GET', `/instances/${id}`)).body.instance.configuration).toMatchObject({ id: web, name: 'web' });
    expect((await berth('instance', 'delete', 'shop')).code).toBe(0);
  });

  it('detaches, after which the group may be deleted', async () => {
    const detached = await berth('configuration', 'detach', 'plain');
    expect(detached.code, detached.stderr).toBe(0);
    expect(detached.stdout).toContain(`detached configuration group web (${web}) from instance plain (${plain})`);
    expect(await live(plain)).toEqual([]);
    const deleted = await berth('configuration', 'delete', 'web');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`deleted configuration group web (${web})`);
    expect((await berth('configuration', 'list')).stdout.trim()).toBe('no configuration groups in project acme');
  });
});
