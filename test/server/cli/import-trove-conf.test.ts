import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManager } from '../../../datastores/toolchain/build.js';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { describeComponent } from '../../../host/component/describe.js';
import { readConfigFile } from '../../../host/config/config-file.js';
import { tokenDigest } from '../../../server/api/auth.js';
import { parseOsloIni } from '../../../server/config/oslo-ini.js';
import { serverConfigSchema } from '../../../server/config/server-config.js';
import { freePort } from '../../../server/provisioning/local-machine.js';
import { DatastoreRegistry } from '../../../server/registry/registry.js';
import { berthProcess, errorOf } from '../../support/cli.js';
import { buildFixture } from '../../support/components.js';
import { apiRequest, waitFor } from '../../support/server.js';
import { troveOptions, troveSampleConf, type TroveOptions } from '../../support/trove-cfg.js';

// `berth import-trove-conf` on the sample trove.conf Trove's own generator writes (made here at
// run time), as it is and with every option set to its default, and on small hand-written
// files; the result loads and starts a real `berth server`.
const TOKEN = 'trove-import-token-0123456789';
let dir: string;
type Pin = { path: string; sha256: string };
/** A fixture manager, for configs that are only loaded; the server, started, checks each manager serves its datastore. */
let manager: Pin;
const real: Record<'mysql' | 'postgresql', Pin> = {} as never;
let sample: string;
let trove: TroveOptions;

const file = (name: string, text?: string) => {
  const path = join(dir, name);
  if (text !== undefined) writeFileSync(path, text);
  return path;
};
const importConf = (args: string[]) => berthProcess(['import-trove-conf', ...args], { home: dir });
const load = (path: string) => readConfigFile(path, serverConfigSchema, 'the imported config');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-trove-import-'));
  const built = await buildFixture('counter', 'quickjs');
  manager = { path: file('counter.wasm'), sha256: built.sha256 };
  writeFileSync(manager.path, built.bytes);
  for (const name of ['mysql', 'postgresql'] as const) {
    const out = file(`${name}.wasm`);
    const component = await buildManager({ describe: describeComponent, entry: join(PACKAGE_ROOT, 'datastores', name, 'manager.ts'), backend: 'quickjs', out });
    real[name] = { path: out, sha256: component.sha256 };
  }
  sample = troveSampleConf();
  trove = troveOptions();
}, 240_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Trove's sample with every option that has a default set to it: "#key = value" uncommented, "<None>" (no default) left out. */
function everyDefault(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^#[a-z0-9_]+ = <None>$/.test(line))
    .map((line) => line.replace(/^#([a-z0-9_]+ = )/, '$1'))
    .join('\n');
}

describe('berth import-trove-conf', () => {
  it("imports Trove's generated sample as it is (every option commented out) to a config with Berth's defaults", async () => {
    expect(sample).toContain('[mysql]');
    const out = join(dir, 'from-sample.toml');
    const result = await importConf([file('sample.conf', sample), '-o', out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('imported 0 options');
    expect(result.stderr).not.toContain('not imported');
    const config = load(out);
    expect(config.provisioner.kind).toBe('external');
    expect(config.datastores).toEqual([]);
  });

  it('imports or names with its reason every option of the sample set to its default, and the result starts a real berth server', async () => {
    const conf = file('every-default.conf', everyDefault(sample));
    const set = [...parseOsloIni(readFileSync(conf, 'utf8'), conf)].flatMap(([section, options]) => [...options.keys()].map((option) => `[${section}] ${option}`));
    expect(set.length).toBeGreaterThan(200);
    const out = join(dir, 'every-default.toml');
    const result = await importConf([conf, '-o', out, '--manager', `mysql:8.0=${real.mysql.path}`, '--manager', `postgresql:18=${real.postgresql.path}`]);
    expect(result.code, result.stderr).toBe(0);
    const imported = /^imported \d+ options: (.*)$/m.exec(result.stderr)![1]!.split(', ');
    const listed = result.stderr.split('\n').filter((line) => line.startsWith('not imported: ')).map((line) => /^not imported: (\[[^\]]+\] [a-z0-9_]+): .{10,}$/.exec(line)![1]!);
    expect(set.filter((option) => !imported.includes(option) && !listed.includes(option))).toEqual([]);
    expect(imported.filter((option) => listed.includes(option))).toEqual([]);
    // the file says the same as stderr
    const toml = readFileSync(out, 'utf8');
    for (const option of listed) expect(toml).toContain(`# ${option}: `);

    // Trove's defaults, imported, are what the registry serves; mariadb has no manager: left out, its table kept as comments
    const config = load(out);
    const registry = new DatastoreRegistry(config.datastores);
    expect(registry.list().map((d) => d.name)).toEqual(['mysql', 'postgresql']);
    const mysql = registry.version('mysql', '8.0')!;
    expect(mysql.server).toMatchObject({ usage_timeout: trove.groups.mysql!.usage_timeout, backup_strategy: trove.groups.mysql!.backup_strategy, tcp_ports: [{ from: 3306, to: 3306 }] });
    expect(mysql.guest).toMatchObject({ ignore_dbs: trove.groups.mysql!.ignore_dbs, mount_point: trove.groups.mysql!.mount_point });
    // [postgresql] has no usage_timeout of its own: it gets [DEFAULT]'s, as Trove waits
    expect(registry.version('postgresql')!.server.usage_timeout).toBe(trove.defaults.usage_timeout);
    expect(registry.version('postgresql')!.guest.port).toBe(trove.groups.postgresql!.postgresql_port);
    expect(toml).toContain('# name = "mariadb"');
    expect(config.timeouts).toMatchObject({ quick_call: trove.defaults.agent_call_low_timeout, heartbeat_expiry: trove.defaults.agent_heartbeat_expiry });
    expect(config.server.listen).toBe(`${trove.defaults.bind_host}:${trove.defaults.bind_port}`);

    // the operator adds who may use the API, then starts it (on a free port here, not Trove's 8779)
    appendFileSync(out, `\n[[projects]]\nname = "acme"\ntokens_sha256 = ["${tokenDigest(TOKEN)}"]\n`);
    const port = await freePort();
    const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist', 'server', 'cli', 'berth.js'), 'server', '--config', out, '--listen', `127.0.0.1:${port}`], {
      env: { ...process.env, HOME: dir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await waitFor(async () => stderr, (text) => text.includes('berth server listening') || child.exitCode !== null, 'berth server to listen', 60_000);
      expect(stderr).toContain('berth server listening');
      const url = `http://127.0.0.1:${port}`;
      const listed = await apiRequest(url, TOKEN, 'GET', '/v1.0/acme/datastores');
      expect(listed.status).toBe(200);
      expect(listed.body.datastores.map((d: { name: string }) => d.name)).toEqual(['mysql', 'postgresql']);
      const version = await apiRequest(url, TOKEN, 'GET', '/v1.0/acme/datastores/mysql/versions/8.0');
      expect(version.body.version).toMatchObject({ name: '8.0', manager_sha256: real.mysql.sha256, tcp_ports: ['3306'] });
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('reads comments, values with spaces, lists, booleans and references, takes [DEFAULT] where Trove does, and lists an unknown group', async () => {
    const conf = file(
      'hand.conf',
      [
        '# Trove config, by hand',
        '[DEFAULT]',
        'bind_host = 127.0.0.1',
        'bind_port = 9001',
        'agent_call_high_timeout = 600',
        'usage_timeout = 900',
        '; Trove still takes these two from [DEFAULT] for the mysql family and redis',
        'backup_strategy = MysqlDump',
        'default_password_length = 40',
        'nova_compute_url = http://nova.example.net:8774/v2.1',
        '',
        '[mysql]',
        'mount_point = "/srv/my sql"',
        'tcp_ports = 3306, 33060-33062,',
        'ignore_users = os_admin,',
        '  root,',
        '  monitor',
        'root_on_create = Yes',
        'volume_support: off',
        'usage_timeout = 300',
        'usage_timeout = 420',
        'docker_image = mysql:8.0',
        '',
        '[redis]',
        'mount_point = ${mysql.mount_point}/redis',
        '',
        '[my_own_group]',
        'colour = blue',
      ].join('\n'),
    );
    const out = join(dir, 'hand.toml');
    const result = await importConf([conf, '-o', out, '--manager', `mysql:8.0=${manager.path}`, '--manager', `redis:7=${manager.path}`]);
    expect(result.code, result.stderr).toBe(0);
    const config = load(out);
    expect(config.server.listen).toBe('127.0.0.1:9001');
    expect(config.timeouts).toMatchObject({ slow_call: 600, quick_call: 15 });
    const registry = new DatastoreRegistry(config.datastores);
    const mysql = registry.version('mysql')!;
    expect(mysql.guest).toMatchObject({ mount_point: '/srv/my sql', ignore_users: ['os_admin', 'root', 'monitor'], backup_strategy: 'MysqlDump', default_password_length: 40 });
    expect(mysql.server).toMatchObject({
      tcp_ports: [{ from: 3306, to: 3306 }, { from: 33060, to: 33062 }],
      root_on_create: true,
      volume_support: false,
      usage_timeout: 420, // the last of a repeated option, as oslo takes it
      backup_strategy: 'MysqlDump',
    });
    const redis = registry.version('redis')!;
    expect(redis.guest).toMatchObject({ mount_point: '/srv/my sql/redis', backup_strategy: 'MysqlDump', default_password_length: 40 });
    expect(redis.server.usage_timeout).toBe(900);
    expect(result.stderr).toMatch(/^not imported: \[my_own_group\] colour: .+$/m);
    expect(result.stderr).toMatch(/^not imported: \[DEFAULT\] nova_compute_url: .+$/m);
    expect(result.stderr).toMatch(/^not imported: \[mysql\] docker_image: .+$/m);
  });

  const bad: Array<[string, string, string]> = [
    ['an integer', '[mysql]\nusage_timeout = soon\n', '[mysql] usage_timeout'],
    ['a boolean', '[postgresql]\nroot_on_create = maybe\n', '[postgresql] root_on_create'],
    ['a port range', '[redis]\ntcp_ports = 6379, 7000-6999\n', '[redis] tcp_ports'],
    ['a relative mount point', '[mariadb]\nmount_point = var/lib/mysql\n', '[mariadb] mount_point'],
    ['a heartbeat that never comes', '[DEFAULT]\nreport_interval = 0\n', '[DEFAULT] report_interval'],
    ['a reference to nothing', '[mysql]\ndevice_path = ${nowhere}\n', '[mysql] device_path'],
  ];
  for (const [what, text, option] of bad) {
    it(`refuses ${what} with an error naming ${option}`, async () => {
      const result = await importConf([file('bad.conf', text), '--json']);
      expect(result.code).toBe(3);
      const error = errorOf(result);
      expect(error.code).toBe('BERTH_ERR_CONFIG_INVALID');
      expect(error.message).toContain(option);
      expect(error.fix).toBeTruthy();
    });
  }

  it('refuses a bad --manager, a missing trove.conf and an existing output without --force', async () => {
    const conf = file('small.conf', '[DEFAULT]\nreport_interval = 20\n');
    const spec = await importConf([conf, '--manager', 'mysql=/nowhere.wasm', '--json']);
    expect([spec.code, errorOf(spec).code]).toEqual([2, 'BERTH_ERR_USAGE']);
    const missingManager = await importConf([conf, '--manager', `mysql:8.0=${join(dir, 'nowhere.wasm')}`, '--json']);
    expect(errorOf(missingManager).code).toBe('BERTH_ERR_FILE_NOT_FOUND');
    const missing = await importConf([join(dir, 'no-such.conf'), '--json']);
    expect(errorOf(missing).code).toBe('BERTH_ERR_CONFIG_NOT_FOUND');
    const out = file('taken.toml', '# mine\n');
    const taken = await importConf([conf, '-o', out, '--json']);
    expect(errorOf(taken).code).toBe('BERTH_ERR_USAGE');
    expect(readFileSync(out, 'utf8')).toBe('# mine\n');
    const forced = await importConf([conf, '-o', out, '--force']);
    expect(forced.code).toBe(0);
    expect(load(out).timeouts.report_interval).toBe(20);
    expect(existsSync(out)).toBe(true);
  });
});
