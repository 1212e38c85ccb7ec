import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../../datastores/errors/catalogue.js';
import { berthProcess, errorOf, type CliResult } from '../../support/cli.js';
import { apiRequest, startTestServer, waitFor, type StartedTestServer } from '../../support/server.js';

const TOKEN = 'acme-token-0123456789';
let setup: StartedTestServer;
let home: string;
let id: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'berth-access-home-'));
  setup = await startTestServer({
    name: 'access-cli',
    projects: { acme: TOKEN },
    managers: { accounts: 'accounts', counter: 'counter' },
    timeouts: { report_interval: 0.2 },
    datastores: [
      { name: 'accounts', guest: { mount_point: '/var/lib/accounts' }, versions: [{ name: '1', manager: 'accounts' }] },
      { name: 'counter', guest: { mount_point: '/var/lib/counter' }, versions: [{ name: '1', manager: 'counter' }] },
    ],
  });
  const created = await api('POST', '/instances', { instance: { name: 'acct', datastore: { type: 'accounts' } } });
  id = created.body.instance.id;
  await waitFor(() => api('GET', `/instances/${id}`), (r) => r.body.instance.status === 'ACTIVE', 'ACTIVE');
});
afterAll(async () => {
  await setup?.cleanup();
  await rm(home, { recursive: true, force: true });
});

const api = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, TOKEN, method, `/v1.0/acme${path}`, body);
const berth = (...args: string[]): Promise<CliResult> => berthProcess([...args, '--url', setup.server.url, '--project', 'acme', '--token', TOKEN], { home });
const rows = (stdout: string) => stdout.trimEnd().split('\n').map((line) => line.split(/\s{2,}/));
const restarts = async () => (JSON.parse(await readFile(join(setup.dir, 'instances', id, 'volume', 'accounts.json'), 'utf8')) as { restarts: number }).restarts;

/** A failed command: its catalogue code (from --json on stderr), and the exit code the catalogue gives that code. */
function expectFailure(result: CliResult, code: keyof typeof ERRORS): void {
  expect(errorOf(result).code).toBe(code);
  expect(result.code).toBe(ERRORS[code].exitCode);
  expect(result.stdout).toBe('');
}

describe('berth access (real CLI processes, real HTTP, a real guest)', () => {
  it("lists a user's databases as a table and as the API's JSON", async () => {
    expect((await berth('user', 'create', 'acct', 'app', '--password', 'pw', '--database', 'orders')).code).toBe(0);
    const table = await berth('access', 'list', 'acct', 'app');
    expect(table.code, table.stderr).toBe(0);
    expect(rows(table.stdout)).toEqual([['DATABASE'], ['orders']]);

    const json = await berth('access', 'list', id, 'app', '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual((await api('GET', `/instances/${id}/users/app/databases`)).body);
  });

  it('grants several databases at once, and revokes one', async () => {
    const granted = await berth('access', 'grant', 'acct', 'app', 'audit', 'reports');
    expect(granted.code, granted.stderr).toBe(0);
    expect(granted.stdout).toContain(`granted user app access to audit, reports on instance acct (${id})`);
    expect(JSON.parse((await berth('access', 'list', 'acct', 'app', '--json')).stdout)).toEqual({ databases: [{ name: 'orders' }, { name: 'audit' }, { name: 'reports' }] });

    const revoked = await berth('access', 'revoke', 'acct', 'app', 'orders', '--json');
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe('');
    expect(rows((await berth('access', 'list', 'acct', 'app')).stdout)).toEqual([['DATABASE'], ['audit'], ['reports']]);
  });

  it('keeps users of the same name apart by --host', async () => {
    expect((await berth('user', 'create', 'acct', 'app', '--password', 'pw', '--host', '10.0.0.%')).code).toBe(0);
    const empty = await berth('access', 'list', 'acct', 'app', '--host', '10.0.0.%');
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toContain('has access to no databases');

    expect((await berth('access', 'grant', 'acct', 'app', 'billing', '--host', '10.0.0.%')).code).toBe(0);
    expect(JSON.parse((await berth('access', 'list', 'acct', 'app', '--host', '10.0.0.%', '--json')).stdout)).toEqual({ databases: [{ name: 'billing' }] });
    expect(JSON.parse((await berth('access', 'list', 'acct', 'app', '--json')).stdout)).toEqual({ databases: [{ name: 'audit' }, { name: 'reports' }] });
  });

  it("answers access the user does not have, and a user that does not exist, with the manager's not-found", async () => {
    expectFailure(await berth('access', 'revoke', 'acct', 'app', 'orders', '--json'), 'BERTH_ERR_MANAGER_NOT_FOUND');
    expectFailure(await berth('access', 'list', 'acct', 'ghost', '--json'), 'BERTH_ERR_MANAGER_NOT_FOUND');
    expectFailure(await berth('access', 'grant', 'acct', 'ghost', 'orders', '--json'), 'BERTH_ERR_MANAGER_NOT_FOUND');

    const human = await berth('access', 'list', 'acct', 'ghost');
    expect(human.code).toBe(ERRORS.BERTH_ERR_MANAGER_NOT_FOUND.exitCode);
    expect(human.stderr).toMatch(/^error BERTH_ERR_MANAGER_NOT_FOUND: /m);
  });

  it('refuses a grant without databases as a usage error', async () => {
    const result = await berth('access', 'grant', 'acct', 'app');
    expect(result.code).toBe(ERRORS.BERTH_ERR_USAGE.exitCode);
  });
});

describe('berth instance restart', () => {
  it('restarts the datastore through its manager, once per command', async () => {
    const human = await berth('instance', 'restart', 'acct');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`restarted instance acct (${id})`);
    expect(await restarts()).toBe(1);

    const json = await berth('instance', 'restart', id, '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).toBe('');
    expect(await restarts()).toBe(2);
  });

  it('answers an unknown instance and a manager without restart with their catalogue codes', async () => {
    expectFailure(await berth('instance', 'restart', 'nope', '--json'), 'BERTH_ERR_INSTANCE_NOT_FOUND');
    const counter = await api('POST', '/instances', { instance: { name: 'plain', datastore: { type: 'counter' } } });
    expectFailure(await berth('instance', 'restart', counter.body.instance.id, '--json'), 'BERTH_ERR_OPERATION_UNSUPPORTED');
  });
});
