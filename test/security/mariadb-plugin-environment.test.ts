// Issue 13, finding 3: the MariaDB client library loads plugins its environment names, so a hostile
// manager granted mariadb-dump (or the mariadb client) loaded a library it wrote into its volume:
// LIBMYSQL_PLUGINS with MARIADB_PLUGIN_DIR load it as the library starts; MYSQL_HOME, MARIADB_HOME and
// HOME make the program read an option file in the volume whose plugin-dir and default-auth load it
// at login; LD_PRELOAD loads it into any program. The real programs, granted as the mysql datastore's
// local instances get them (the client as an operator's extra grant), meet a hostile manager in a real
// `berth host`; each environment is first shown to load the library when given to the program
// directly, then refused by the host, and the library never runs.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BuildResult } from '../../datastores/toolchain/build.js';
import { lookupUser } from '../../host/os-user.js';
import { MARIADB_PROGRAMS, mysqlDatastore } from '../../server/registry/builtin-datastores.js';
import { PrivateMariadb } from '../support/private-mariadb.js';
import { buildProgramAbuse, startBuiltinGuest, type BuiltinGuest } from './support/builtin-guest.js';

const PLACEHOLDER = { path: '/placeholder', sha256: '0'.repeat(64) };
const CLIENT = '/usr/bin/mariadb';
const PLUGIN_C = `#include <stdio.h>
__attribute__((constructor)) static void loaded(void) { FILE *f = fopen(MARKER, "w"); if (f) { fputs("plugin ran\\n", f); fclose(f); } }
`;

let built: BuildResult;
let guest: BuiltinGuest;
let server: PrivateMariadb;
let outside: string;
let marker: string;
let plugins: string;
let conf: string;

beforeAll(async () => {
  expect(process.getuid?.(), 'this test must run as root (as CI does): the host becomes the mysql user').toBe(0);
  const mysqlUser = lookupUser('mysql')!;
  built = await buildProgramAbuse();
  guest = await startBuiltinGuest(mysqlDatastore('10.11', PLACEHOLDER), built, 'mysql', [CLIENT]);
  // the instance's own server, where the granted connection points (the programs log in there)
  server = await PrivateMariadb.create({ port: Number(guest.options.port) });
  // what the library writes: outside the grant, writable by the datastore's user
  outside = mkdtempSync(join(tmpdir(), 'berth-sec-maria-env-'));
  chownSync(outside, mysqlUser.uid, mysqlUser.gid);
  marker = join(outside, 'plugin-ran');
  // what the manager writes into its volume: a library, and option files that name it
  plugins = join(guest.volume, 'plugins');
  conf = join(guest.volume, 'conf');
  mkdirSync(plugins);
  mkdirSync(conf);
  writeFileSync(join(plugins, 'evil.c'), PLUGIN_C);
  execFileSync('cc', ['-shared', '-fPIC', `-DMARKER="${marker}"`, '-o', join(plugins, 'evil.so'), join(plugins, 'evil.c')]);
  const options = `[client]\nplugin-dir=${plugins}\ndefault-auth=evil\n`;
  writeFileSync(join(conf, 'my.cnf'), options);
  writeFileSync(join(conf, '.my.cnf'), options);
}, 240_000);
// a case that failed leaves no marker for the next one
afterEach(() => rmSync(marker, { force: true }));
afterAll(async () => {
  await guest?.close();
  server?.destroy();
  if (outside) rmSync(outside, { recursive: true, force: true });
});

describe('finding 3: plugins named by the environment of a granted MariaDB program', () => {
  const login = () => ['--host=127.0.0.1', `--port=${server.port}`, '--user=root'];
  const programs: Array<[string, string, () => string[]]> = [
    ['mariadb-dump', MARIADB_PROGRAMS.dump[0], () => [...login(), '--databases', 'mysql']],
    ['mariadb', CLIENT, () => ['--sandbox', ...login(), '--execute=SELECT 1']],
  ];
  const environments: Array<[string, () => Record<string, string>]> = [
    ['LIBMYSQL_PLUGINS with MARIADB_PLUGIN_DIR', () => ({ LIBMYSQL_PLUGINS: 'evil', MARIADB_PLUGIN_DIR: plugins })],
    ['MYSQL_HOME', () => ({ MYSQL_HOME: conf })],
    ['MARIADB_HOME', () => ({ MARIADB_HOME: conf })],
    ['HOME', () => ({ HOME: conf })],
    ['LD_PRELOAD', () => ({ LD_PRELOAD: join(plugins, 'evil.so') })],
  ];
  const cases = programs.flatMap(([name, path, args]) => environments.map(([label, env]) => [name, label, path, args, env] as const));

  it.each(cases)('%s with %s is refused, and the library never runs', async (program, _label, path, args, env) => {
    const outcome = await guest.run({ program, args: args(), env: env() });
    expect(existsSync(marker), 'the library ran').toBe(false);
    expect(outcome.err?.tag).toBe('denied');

    // the attack is real: the same program, arguments and environment given directly load the library
    try {
      execFileSync(path, args(), { env: env(), stdio: 'ignore', timeout: 30_000 });
    } catch {
      // the library is no real plugin: the login fails after it ran
    }
    expect(readFileSync(marker, 'utf8')).toBe('plugin ran\n');
  });

  it.each(programs)('%s still runs with the arguments and environment a manager may give', async (program, _path, args) => {
    const outcome = await guest.run({ program, args: args(), env: { MYSQL_PWD: '', TZ: 'UTC' } });
    expect(outcome.ok?.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });
});
