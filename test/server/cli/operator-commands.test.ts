import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import type { LocalProvisioner } from '../../../server/provisioning/local.js';
import { berthProcess, errorOf, type CliResult } from '../../support/cli.js';
import { startTestServer, type StartedTestServer, type TestServer } from '../../support/server.js';

const TOKENS = { acme: 'acme-token-0123456789', globex: 'globex-token-0123456789', default: 'default-token-0123456789' };
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

// A manager that supports users and root, so their commands can succeed; it keeps its state in files on its volume.
const ACCOUNTS_MANAGER = `
import { defineManager, ManagerError, z } from '${join(PACKAGE_ROOT, 'datastores', 'sdk', 'index.js')}';

export default defineManager({
  name: 'accounts',
  version: '0.0.1',
  datastores: ['accounts'],
  options: z.object({ mount_point: z.string() }),
  needs: { directories: [{ path: '{mount_point}', access: 'read-write', purpose: 'databases, users and root' }] },
  operations: {
    // running once prepared, as a real datastore: the instance turns ACTIVE after its initial databases exist
    status(ctx) {
      return ctx.files.exists(\`\${ctx.options.mount_point}/prepared\`) ? 'running' : 'building';
    },
    prepare(ctx, request) {
      if (!ctx.files.exists(\`\${ctx.options.mount_point}/db\`)) ctx.files.makeDirectory(\`\${ctx.options.mount_point}/db\`);
      for (const { name } of request.databases) ctx.files.makeDirectory(\`\${ctx.options.mount_point}/db/\${name}\`);
      ctx.files.writeText(\`\${ctx.options.mount_point}/prepared\`, 'yes');
    },
    createDatabases(ctx, databases) {
      if (!ctx.files.exists(\`\${ctx.options.mount_point}/db\`)) ctx.files.makeDirectory(\`\${ctx.options.mount_point}/db\`);
      for (const { name } of databases) ctx.files.makeDirectory(\`\${ctx.options.mount_point}/db/\${name}\`);
    },
    listDatabases(ctx) {
      const dir = \`\${ctx.options.mount_point}/db\`;
      const names = ctx.files.exists(dir) ? ctx.files.list(dir).map((entry) => entry.name).sort() : [];
      return { items: names.map((name) => ({ name, characterSet: undefined, collation: undefined })), nextMarker: undefined };
    },
    deleteDatabase(ctx, name) {
      const path = \`\${ctx.options.mount_point}/db/\${name}\`;
      if (!ctx.files.exists(path)) throw ManagerError.notFound(\`no database \${name}\`);
      ctx.files.remove(path);
    },
    createUsers(ctx, users) {
      const file = \`\${ctx.options.mount_point}/users.json\`;
      const known = ctx.files.exists(file) ? JSON.parse(ctx.files.readText(file)) : [];
      for (const user of users) known.push({ name: user.name, host: user.host, databases: user.databases });
      ctx.files.writeText(file, JSON.stringify(known));
    },
    // a fixed answer: what the commands must show is the manager's own figures, passed through
    getFilesystemStats(_ctx, path) {
      if (path !== '') throw ManagerError.notFound(\`no file system at \${path}\`);
      return { blockSize: 4096n, totalBlocks: 262144n, freeBlocks: 196608n, total: 1073741824n, free: 805306368n, used: 268435456n };
    },
    listUsers(ctx) {
      const file = \`\${ctx.options.mount_point}/users.json\`;
      const items = ctx.files.exists(file) ? JSON.parse(ctx.files.readText(file)) : [];
      return { items, nextMarker: undefined };
    },
    enableRoot(ctx, password) {
      const chosen = password ?? 'generated-root-password-42';
      ctx.files.writeText(\`\${ctx.options.mount_point}/root\`, chosen);
      return { name: 'root', password: chosen };
    },
    isRootEnabled(ctx) {
      return ctx.files.exists(\`\${ctx.options.mount_point}/root\`);
    },
  },
});
`;

let setup: StartedTestServer;
let dir: string;
let home: string;
let server: TestServer;
let provisioner: LocalProvisioner;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'berth-operator-home-'));
  setup = await startTestServer({
    name: 'operator',
    projects: TOKENS,
    managers: { counter: 'counter', 'three-ops': 'three-ops', accounts: { source: ACCOUNTS_MANAGER } },
    timeouts: { report_interval: 0.2, heartbeat_expiry: 5 },
    datastores: [
      {
        name: 'counter',
        server: { usage_timeout: 60, root_on_create: true },
        guest: { mount_point: '/var/lib/counter', greeting: 'from-the-registry' },
        versions: [{ name: '1', manager: 'counter' }],
      },
      { name: 'accounts', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/accounts' }, versions: [{ name: '2.0', manager: 'accounts' }] },
      // every grant three-ops asks for (the server's start check passes), but a program path this machine does
      // not have: the guest host refuses its config (BERTH_ERR_CONFIG_INVALID)
      {
        name: 'tinydb',
        local: { programs: ['/usr/local/bin/tinydb-ctl'], connections: { admin: { kind: 'postgresql', url: 'postgres://tiny@127.0.0.1:5432/tiny' } } },
        versions: [{ name: '1', manager: 'three-ops' }],
      },
    ],
  });
  ({ dir, server } = setup);
  provisioner = server.provisioner!;
});
afterAll(async () => {
  await setup?.cleanup();
  await rm(home, { recursive: true, force: true });
});

/** The real `berth` from dist/, with only the BERTH_* variables given here and a HOME of its own. */
const berth = (args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> => berthProcess(args, { home, env });

const acme = () => ['--url', server.url, '--project', 'acme', '--token', TOKENS.acme];
const acmeEnv = () => ({ BERTH_URL: server.url, BERTH_PROJECT: 'acme', BERTH_TOKEN: TOKENS.acme });

/** The lines of a table as cells, split on the column gaps. */
const rows = (stdout: string) => stdout.trimEnd().split('\n').map((line) => line.split(/\s{2,}/));

async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('berth operator commands against a running server (real CLI processes, real HTTP, real guests)', () => {
  let id: string;
  let accountsId: string;

  it('lists datastores as a table and as the API JSON', async () => {
    const table = await berth(['datastore', 'list', ...acme()]);
    expect(table.code, table.stderr).toBe(0);
    const lines = rows(table.stdout);
    expect(lines[0]).toEqual(['NAME', 'DEFAULT VERSION', 'VERSIONS']);
    expect(lines).toContainEqual(['counter', '1', '1']);
    expect(lines).toContainEqual(['accounts', '2.0', '2.0']);

    const json = await berth(['datastore', 'list', '--json', ...acme()]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(await (await fetch(`${server.url}/v1.0/acme/datastores`, { headers: { authorization: `Bearer ${TOKENS.acme}` } })).json());
  });

  it('creates an instance with --wait (settings from BERTH_* variables): the root password once, then ACTIVE', async () => {
    const created = await berth(['instance', 'create', 'db1', '--datastore', 'counter', '--version', '1', '--wait'], acmeEnv());
    expect(created.code, created.stderr).toBe(0);
    id = UUID.exec(created.stdout)![0];
    expect(created.stdout).toMatch(new RegExp(`created instance db1 \\(${id}\\): BUILD, counter 1`));
    expect(created.stdout).toMatch(/root password: [A-Za-z0-9_-]{36}\n/);
    expect(created.stdout).toContain(`instance db1 (${id}) is ACTIVE`);
    expect(created.stderr).toContain('waiting for db1');
    const shown = await fetch(`${server.url}/v1.0/acme/instances/${id}`, { headers: { authorization: `Bearer ${TOKENS.acme}` } });
    expect(((await shown.json()) as { instance: { status: string } }).instance.status).toBe('ACTIVE');
  });

  it('creates with --database and --wait --json: one document, the final ACTIVE instance, its databases made by prepare', async () => {
    const created = await berth(['instance', 'create', 'acct', '--datastore', 'accounts', '--database', 'first', '--database', 'second', '--wait', '--json', ...acme()]);
    expect(created.code, created.stderr).toBe(0);
    const body = JSON.parse(created.stdout) as { instance: { id: string; status: string; datastore: unknown; password?: string } };
    expect(body.instance).toMatchObject({ name: 'acct', status: 'ACTIVE', datastore: { type: 'accounts', version: '2.0' } });
    // root_on_create is off for this datastore: no password to show
    expect(body.instance).not.toHaveProperty('password');
    accountsId = body.instance.id;
    expect(existsSync(join(dir, 'instances', accountsId, 'volume', 'db', 'second'))).toBe(true);
  });

  it('lists instances as an aligned table and as JSON', async () => {
    const table = await berth(['instance', 'list', ...acme()]);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+STATUS\s+DATASTORE\s+VERSION$/);
    const row = lines.find((line) => line.startsWith(id))!;
    expect(row.split(/\s{2,}/)).toEqual([id, 'db1', 'ACTIVE', 'counter', '1']);
    // columns line up under their headers
    for (const line of lines.slice(1)) expect(line.indexOf('ACTIVE')).toBe(lines[0]!.indexOf('STATUS'));

    const json = await berth(['instance', 'list', '--json', ...acme()]);
    const instances = (JSON.parse(json.stdout) as { instances: Array<{ id: string; status: string }> }).instances;
    expect(instances.map((i) => i.id).sort()).toEqual([id, accountsId].sort());
    expect(instances.find((i) => i.id === id)).toMatchObject({ status: 'ACTIVE', datastore: { type: 'counter', version: '1' } });
    expect(instances.find((i) => i.id === id)).not.toHaveProperty('password');
  });

  it('shows one instance by id or by name', async () => {
    const byId = await berth(['instance', 'show', id, ...acme()]);
    expect(byId.code, byId.stderr).toBe(0);
    expect(byId.stdout).toMatch(new RegExp(`^id\\s+${id}$`, 'm'));
    expect(byId.stdout).toMatch(/^status\s+ACTIVE$/m);
    expect(byId.stdout).toMatch(/^datastore\s+counter$/m);

    const byName = await berth(['instance', 'show', 'db1', '--json', ...acme()]);
    expect(byName.code, byName.stderr).toBe(0);
    expect(JSON.parse(byName.stdout)).toMatchObject({ instance: { id, name: 'db1', status: 'ACTIVE' } });

    const missing = await berth(['instance', 'show', 'nope', '--json', ...acme()]);
    expect(missing.code).toBe(3);
    expect(errorOf(missing).code).toBe('BERTH_ERR_INSTANCE_NOT_FOUND');
  });

  it("shows the manager's file system statistics, and says so where the manager has none", async () => {
    const shown = await berth(['instance', 'filesystem', 'acct', ...acme()]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('total 1.00 GiB  used 0.25 GiB  free 0.75 GiB  (block size 4096 B)');
    const json = await berth(['instance', 'filesystem', 'acct', '--json', ...acme()]);
    expect(JSON.parse(json.stdout).filesystem).toEqual({ path: '', block_size: 4096, total_blocks: 262144, free_blocks: 196608, total: 1073741824, free: 805306368, used: 268435456 });
    const unsupported = await berth(['instance', 'filesystem', 'db1', '--json', ...acme()]);
    expect(unsupported.code).not.toBe(0);
    expect(errorOf(unsupported).code).toBe('BERTH_ERR_OPERATION_UNSUPPORTED');
  });

  it('creates databases and lists them', async () => {
    const one = await berth(['database', 'create', id, 'orders', ...acme()]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain(`created database orders on instance ${id}`);
    const two = await berth(['database', 'create', 'db1', 'audit', '--character-set', 'utf8', '--collate', 'utf8_bin'], acmeEnv());
    expect(two.code, two.stderr).toBe(0);

    const table = await berth(['database', 'list', 'db1', ...acme()]);
    expect(table.code, table.stderr).toBe(0);
    expect(rows(table.stdout)).toEqual([
      ['NAME', 'CHARACTER SET', 'COLLATE'],
      ['orders', 'from-the-registry'],
      ['audit', 'from-the-registry'],
    ]);
    const json = await berth(['database', 'list', id, '--json', ...acme()]);
    expect(JSON.parse(json.stdout)).toEqual({ databases: [{ name: 'orders', character_set: 'from-the-registry' }, { name: 'audit', character_set: 'from-the-registry' }] });
  });

  it('deletes a database', async () => {
    const deleted = await berth(['database', 'delete', 'acct', 'first', ...acme()]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`deleted database first on instance acct (${accountsId})`);
    const listed = await berth(['database', 'list', 'acct', '--json', ...acme()]);
    expect(JSON.parse(listed.stdout)).toEqual({ databases: [{ name: 'second' }] });
    const again = await berth(['database', 'delete', 'acct', 'first', '--json', ...acme()]);
    expect(again.code).toBe(3);
    expect(errorOf(again).code).toBe('BERTH_ERR_MANAGER_NOT_FOUND');
  });

  it('lists users without a HOST column where the manager names no host for them, the REST view keeping host "%"', async () => {
    const created = await berth(['user', 'create', 'acct', 'bob', '--password', 's3cret', '--database', 'second', ...acme()]);
    expect(created.code, created.stderr).toBe(0);
    const table = await berth(['user', 'list', 'acct', ...acme()]);
    expect(table.code, table.stderr).toBe(0);
    expect(rows(table.stdout)).toEqual([
      ['NAME', 'DATABASES'],
      ['bob', 'second'],
    ]);
    const json = await berth(['user', 'list', 'acct', '--json', ...acme()]);
    expect(JSON.parse(json.stdout)).toEqual({ users: [{ name: 'bob', host: '%', databases: [{ name: 'second' }] }], user_hosts: false });
  });

  it('creates and lists users with a HOST column once the manager names hosts for them', async () => {
    const created = await berth(['user', 'create', 'acct', 'alice', '--password', 's3cret', '--host', '10.0.0.%', '--database', 'second', ...acme()]);
    expect(created.code, created.stderr).toBe(0);
    const table = await berth(['user', 'list', 'acct', ...acme()]);
    expect(table.code, table.stderr).toBe(0);
    expect(rows(table.stdout)).toEqual([
      ['NAME', 'HOST', 'DATABASES'],
      ['bob', '%', 'second'],
      ['alice', '10.0.0.%', 'second'],
    ]);
  });

  it('refuses users where the manager does not support them: BERTH_ERR_OPERATION_UNSUPPORTED, exit code 3', async () => {
    const json = await berth(['user', 'list', id, '--json', ...acme()]);
    expect(json.code).toBe(3);
    expect(errorOf(json)).toMatchObject({ code: 'BERTH_ERR_OPERATION_UNSUPPORTED', message: expect.stringContaining('list-users') });
    expect(json.stdout).toBe('');

    const human = await berth(['user', 'list', 'db1', ...acme()]);
    expect(human.code).toBe(3);
    expect(human.stderr).toMatch(/^error BERTH_ERR_OPERATION_UNSUPPORTED: .*list-users/m);
  });

  it('enables root and shows it', async () => {
    const before = await berth(['root', 'show', 'acct', ...acme()]);
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toContain(`root is not enabled on instance acct (${accountsId})`);
    const enabled = await berth(['root', 'enable', 'acct', ...acme()]);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect(enabled.stdout).toMatch(/^\s+user\s+root$/m);
    // generated by the server, not the manager: a manager has no entropy source
    expect(enabled.stdout).toMatch(/^\s+password\s+[A-Za-z0-9_-]{36}$/m);
    const after = await berth(['root', 'show', accountsId, '--json', ...acme()]);
    expect(JSON.parse(after.stdout)).toEqual({ rootEnabled: true });

    const unsupported = await berth(['root', 'enable', 'db1', '--json', ...acme()]);
    expect(unsupported.code).toBe(3);
    expect(errorOf(unsupported).code).toBe('BERTH_ERR_OPERATION_UNSUPPORTED');
  });

  it('refuses a wrong token with BERTH_ERR_UNAUTHORIZED and says how to pass one', async () => {
    const json = await berth(['instance', 'list', '--url', server.url, '--project', 'acme', '--token', 'not-a-token', '--json']);
    expect(json.code).toBe(4);
    expect(errorOf(json).code).toBe('BERTH_ERR_UNAUTHORIZED');
    expect(errorOf(json).fix).toContain('--token');

    const human = await berth(['instance', 'list'], { ...acmeEnv(), BERTH_TOKEN: 'not-a-token' });
    expect(human.code).toBe(4);
    expect(human.stderr).toMatch(/^error BERTH_ERR_UNAUTHORIZED: /m);
    expect(human.stderr).toMatch(/^ {2}fix: .*BERTH_TOKEN/m);
  });

  it("refuses another project's token with BERTH_ERR_FORBIDDEN", async () => {
    const result = await berth(['instance', 'list', '--url', server.url, '--project', 'acme', '--token', TOKENS.globex, '--json']);
    expect(result.code).toBe(4);
    expect(errorOf(result).code).toBe('BERTH_ERR_FORBIDDEN');
  });

  it('names an unreachable server and the fix, without a stack trace', async () => {
    const url = `http://127.0.0.1:${await unusedPort()}`;
    const human = await berth(['instance', 'list', '--url', url, '--token', TOKENS.acme]);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain(`error BERTH_ERR_RPC_DISCONNECTED: cannot reach the Berth server at ${url} (ECONNREFUSED)`);
    expect(human.stderr).toContain('fix: start it with `berth up` or pass --url');
    expect(human.stderr).not.toMatch(/^\s+at /m);
    expect(human.stderr.trimEnd().split('\n')).toHaveLength(2);

    const json = await berth(['datastore', 'list', '--json'], { BERTH_URL: url });
    expect(json.code).toBe(1);
    expect(errorOf(json)).toMatchObject({ code: 'BERTH_ERR_RPC_DISCONNECTED', message: expect.stringContaining(url) });
  });

  it('refuses a --url that is not one as a usage error', async () => {
    const result = await berth(['instance', 'list', '--url', 'not a url', '--json']);
    expect(result.code).toBe(2);
    expect(errorOf(result).code).toBe('BERTH_ERR_USAGE');
  });

  it('works with no flags after `berth up`: the token from ~/.berth/token, project "default"', async () => {
    const withoutFile = await berth(['instance', 'list', '--json'], { BERTH_URL: server.url });
    expect(withoutFile.code).toBe(4);
    expect(errorOf(withoutFile).code).toBe('BERTH_ERR_UNAUTHORIZED');

    await mkdir(join(home, '.berth'), { recursive: true });
    await writeFile(join(home, '.berth', 'token'), `${TOKENS.default}\n`);
    const listed = await berth(['instance', 'list'], { BERTH_URL: server.url });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toBe('no instances in project default\n');
    // --token still wins over the file
    const overridden = await berth(['instance', 'list', '--token', 'not-a-token', '--json'], { BERTH_URL: server.url });
    expect(errorOf(overridden).code).toBe('BERTH_ERR_UNAUTHORIZED');
  });

  it('fails --wait when the instance goes to ERROR, with its fault', async () => {
    const result = await berth(['instance', 'create', 'needy', '--datastore', 'tinydb', '--wait', ...acme()]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^error BERTH_ERR_INSTANCE_STATE: instance needy \(.*\) went to ERROR: .*BERTH_ERR_CONFIG_INVALID/m);
    const needyId = UUID.exec(result.stdout)![0];
    expect((await berth(['instance', 'delete', needyId, ...acme()])).code).toBe(0);
  });

  it('deletes instances: the guest stops and the instance is gone', async () => {
    const pid = provisioner.pidOf(id)!;
    expect(pid).toBeGreaterThan(0);
    const deleted = await berth(['instance', 'delete', id, ...acme()]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`deleted instance ${id}`);
    expect(() => process.kill(pid, 0)).toThrow();
    const shown = await berth(['instance', 'show', id, '--json', ...acme()]);
    expect(shown.code).toBe(3);
    expect(errorOf(shown).code).toBe('BERTH_ERR_INSTANCE_NOT_FOUND');

    expect((await berth(['instance', 'delete', 'acct', ...acme()])).code).toBe(0);
    const listed = await berth(['instance', 'list', ...acme()]);
    expect(listed.stdout).toBe('no instances in project acme\n');
  });
});
