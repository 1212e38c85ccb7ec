import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess, type CliResult } from '../../support/cli.js';
import { startTestServer, type StartedTestServer } from '../../support/server.js';
import { TroveClients } from '../../support/trove-clients.js';

/**
 * The real OpenStack clients (Debian's python3-troveclient: `openstack`,
 * `trove`, keystoneauth1), unmodified, against a real Berth server. A
 * missing client fails these tests: the spawn fails or the import does.
 */

const TOKEN = 'acme-token-for-the-trove-clients';
const USER = { name: 'alice', password: 'correct horse battery staple', projects: ['acme'] };
let setup: StartedTestServer;
let url: string;
let home: string;

type Run = CliResult;

/** A client process with a HOME of its own and none of the developer's OS_* settings. */
function client(command: string, args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OS_')));
  return runProcess(command, args, { env: { ...base, HOME: home, ...env } });
}

const passwordArgs = (password: string, project = 'acme') => [
  '--os-auth-url', `${url}/v3`,
  '--os-username', USER.name,
  '--os-password', password,
  '--os-project-name', project,
  '--os-user-domain-name', 'Default',
  '--os-project-domain-name', 'Default',
];

const datastoreNames = (run: Run) => (JSON.parse(run.stdout) as Array<{ Name: string }>).map((row) => row.Name);

beforeAll(async () => {
  setup = await startTestServer({
    name: 'trove-clients',
    projects: { acme: TOKEN, globex: 'globex-token-for-the-trove-clients' },
    users: [USER],
    managers: { counter: 'counter' },
    datastores: [{ name: 'counter', versions: [{ name: '1', manager: 'counter' }] }],
  });
  url = setup.server.url;
  home = await mkdtemp(join(tmpdir(), 'berth-trove-clients-home-'));
}, 120_000);
afterAll(async () => {
  await setup?.cleanup();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('the openstack CLI', () => {
  it('logs in with a user name and password and lists datastores and instances', async () => {
    const datastores = await client('openstack', [...passwordArgs(USER.password), 'datastore', 'list', '-f', 'json']);
    expect(datastores.code, datastores.stderr).toBe(0);
    expect(datastoreNames(datastores)).toEqual(['counter']);
    const instances = await client('openstack', [...passwordArgs(USER.password), 'database', 'instance', 'list', '-f', 'json']);
    expect(instances.code, instances.stderr).toBe(0);
    expect(JSON.parse(instances.stdout)).toEqual([]);
  });

  it('fails with 401 on a wrong password', async () => {
    const run = await client('openstack', [...passwordArgs('wrong password'), 'datastore', 'list', '-f', 'json']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/HTTP 401/);
  });

  it('fails with 401 on a project the user has no access to', async () => {
    const run = await client('openstack', [...passwordArgs(USER.password, 'globex'), 'datastore', 'list', '-f', 'json']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/HTTP 401/);
  });

  it('works from clouds.yaml', async () => {
    await mkdir(join(home, '.config', 'openstack'), { recursive: true });
    const cloud = [
      'clouds:',
      '  berth:',
      '    auth:',
      `      auth_url: ${url}/v3`,
      `      username: ${USER.name}`,
      `      password: ${USER.password}`,
      '      project_name: acme',
      '      user_domain_name: Default',
      '      project_domain_name: Default',
      '    region_name: RegionOne',
    ];
    await writeFile(join(home, '.config', 'openstack', 'clouds.yaml'), `${cloud.join('\n')}\n`);
    const run = await client('openstack', ['--os-cloud', 'berth', 'datastore', 'list', '-f', 'json']);
    expect(run.code, run.stderr).toBe(0);
    expect(datastoreNames(run)).toEqual(['counter']);
  });

  it('sends a configured token to a fixed endpoint (admin_token), and a wrong one is refused', async () => {
    const tokenArgs = (token: string) => ['--os-auth-type', 'admin_token', '--os-endpoint', `${url}/v1.0/acme`, '--os-token', token];
    const run = await client('openstack', [...tokenArgs(TOKEN), 'datastore', 'list', '-f', 'json']);
    expect(run.code, run.stderr).toBe(0);
    expect(datastoreNames(run)).toEqual(['counter']);
    const refused = await client('openstack', [...tokenArgs('not-a-token-of-acme'), 'datastore', 'list', '-f', 'json']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/HTTP 401/);
  });
});

describe('the trove CLI', () => {
  it('logs in with a user name and password and lists datastores', async () => {
    const run = await client('trove', [...passwordArgs(USER.password), 'datastore-list']);
    expect(run.code, run.stderr).toBe(0);
    // troveclient 8's table prints Python 3 bytes as b'...' (its own bug, in every column): the name is there either way
    expect(run.stdout).toMatch(/\|\s*(b')?counter'?\s*\|/);
  });
});

describe('keystoneauth1 and troveclient as a library', () => {
  const script = `
import sys
from keystoneauth1 import session
from keystoneauth1.identity import v3
from troveclient import client
auth = v3.Password(auth_url=sys.argv[1], username=sys.argv[2], password=sys.argv[3], project_name='acme', user_domain_name='Default', project_domain_name='Default')
trove = client.Client('1.0', session=session.Session(auth=auth))
print(' '.join(d.name for d in trove.datastores.list()))
`;

  it('lists datastores over a session', async () => {
    const run = await client('/usr/bin/python3', ['-c', script, `${url}/v3`, USER.name, USER.password]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('counter');
  });

  it('raises Unauthorized (401) on a wrong password', async () => {
    const run = await client('/usr/bin/python3', ['-c', script, `${url}/v3`, USER.name, 'wrong password']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/Unauthorized.*HTTP 401/s);
  });

  // keystoneauth1's v3.Token plugin: an existing token is exchanged at POST /v3/auth/tokens (the token method)
  const byToken = (token: string) => new TroveClients(url, { name: USER.name, password: USER.password, project: 'acme' }, token, home).library('datastores.list', [], {}, 'token');

  it("logs in with an existing token (v3.Token): the project's configured token, and one the identity endpoint issued", async () => {
    const issued = await fetch(`${url}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: USER.name, domain: { name: 'Default' }, password: USER.password } } },
          scope: { project: { name: 'acme', domain: { name: 'Default' } } },
        },
      }),
    });
    expect(issued.status).toBe(201);
    const subject = issued.headers.get('x-subject-token');
    expect(subject).toEqual(expect.any(String));
    for (const token of [TOKEN, subject!]) {
      const run = await byToken(token);
      expect(run.ok ? run.value.map((d: { name: string }) => d.name) : run.failure).toEqual(['counter']);
    }
  });

  it("raises Unauthorized (401) on a token that is not one of the project's", async () => {
    for (const token of ['not-a-token-of-acme', 'globex-token-for-the-trove-clients']) {
      const run = await byToken(token);
      expect(run.ok ? null : [run.failure.exception, run.failure.http_status], token).toEqual(['Unauthorized', 401]);
    }
  });
});
