import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExec } from '../../host/capabilities/exec.js';
import { freePort } from '../../server/provisioning/local-machine.js';
import { mysqlDatastore } from '../../server/registry/builtin-datastores.js';
import { buildFixture, call, instantiateBytes, type ExportedInterfaces } from '../support/components.js';
import { PrivateMariadb } from '../support/private-mariadb.js';

// Issue 13, finding 3: with the MySQL manager's grants a hostile manager ran `mariadb -e 'system ...'` (any
// program), made mariadb-dump load a library it wrote into its volume (--plugin-dir, --default-auth), and
// (finding 6) pointed the granted clients at a server nobody granted. The real programs, a real plugin and
// a private MariaDB server stand in for the instance's own one and for the machine's shared one.

const PLUGIN_C = `#include <stdio.h>
__attribute__((constructor)) static void loaded(void) { FILE *f = fopen(MARKER, "w"); if (f) { fputs("plugin ran\\n", f); fclose(f); } }
`;

let bytes: Uint8Array;
let server: PrivateMariadb;
let volume: string;
let marker: string;

beforeAll(async () => {
  bytes = (await buildFixture('exec-probe', 'quickjs')).bytes;
  server = await PrivateMariadb.create();
  volume = await mkdtemp(join(tmpdir(), 'berth-mariadb-programs-'));
  marker = join(volume, 'attack-ran');
  await mkdir(join(volume, 'plugins'));
  await writeFile(join(volume, 'evil.c'), PLUGIN_C);
  execFileSync('cc', ['-shared', '-fPIC', `-DMARKER="${marker}"`, '-o', join(volume, 'plugins', 'evil.so'), join(volume, 'evil.c')]);
}, 180_000);
afterAll(async () => {
  await server?.destroy();
  if (volume) await rm(volume, { recursive: true, force: true });
});

/** A hostile manager with the MySQL datastore's built-in programs, its volume, and a connection to `granted`. */
async function hostileManager(granted: { host: string; port: number }, programs = mysqlDatastore('10.11', { path: '/placeholder', sha256: '0'.repeat(64) }).local!.programs!) {
  const grant = {
    programs,
    environment: {},
    directories: [{ hostPath: volume, guestPath: volume, access: 'read-write' as const }],
    defaultTimeoutMs: 30_000,
    maxTimeoutMs: 30_000,
    outputLimitBytes: 1024 * 1024,
    servers: [granted],
  };
  return instantiateBytes(bytes, { exec: createExec(grant) });
}

type Outcome = { ok?: { exitCode?: number; stderr: string }; err?: { tag: string; val: string } };

function run(exports: ExportedInterfaces, program: string, args: string[]): Outcome {
  const outcome = call(exports.guestLog!.guestLogAction, JSON.stringify({ program, args }), 'enable');
  if (!('ok' in outcome)) throw new Error(`the probe did not answer: ${JSON.stringify(outcome)}`);
  return JSON.parse((outcome.ok as { name: string }).name) as Outcome;
}

describe('MariaDB programs in the hands of a hostile manager', () => {
  const login = () => ['--no-defaults', '--host=127.0.0.1', `--port=${server.port}`, '--user=root'];

  it('cannot run a program through the mariadb client: the client is not granted', async () => {
    const exports = await hostileManager({ host: '127.0.0.1', port: server.port });
    for (const program of ['mariadb', '/usr/bin/mariadb', 'mysql']) {
      expect(run(exports, program, [...login(), `--execute=system touch ${marker}`]).err).toMatchObject({ tag: 'denied' });
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('granted the client anyway, gets it only sandboxed: no `system`', async () => {
    const exports = await hostileManager({ host: '127.0.0.1', port: server.port }, ['/usr/bin/mariadb']);
    expect(run(exports, 'mariadb', [...login(), `--execute=system touch ${marker}`]).err).toEqual({ tag: 'denied', val: expect.stringContaining('--sandbox') });
    // the policy's premise, checked on the real client: in the sandbox, `system` is refused
    expect(run(exports, 'mariadb', [...login(), '--sandbox', `--execute=system touch ${marker}`]).ok).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('sandbox') });
    expect(existsSync(marker)).toBe(false);
  });

  it('cannot make mariadb-dump load a library it wrote into its volume', async () => {
    const exports = await hostileManager({ host: '127.0.0.1', port: server.port });
    const plugin = [`--plugin-dir=${join(volume, 'plugins')}`, '--default-auth=evil'];
    for (const args of [plugin, [plugin[0]!], [plugin[1]!], ['--plugin_dir', join(volume, 'plugins'), '--default-auth', 'evil']]) {
      expect(run(exports, 'mariadb-dump', [...login(), ...args, '--databases', 'mysql']).err).toMatchObject({ tag: 'denied' });
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('cannot point mariadb-dump or mariabackup at a server no connection grants', async () => {
    const exports = await hostileManager({ host: '127.0.0.1', port: await freePort() });
    const stolen = join(volume, 'stolen.sql');
    expect(run(exports, 'mariadb-dump', [...login(), `--result-file=${stolen}`, '--databases', 'mysql']).err).toMatchObject({ tag: 'denied' });
    expect(run(exports, 'mariadb-dump', ['--no-defaults', '--user=root', `--result-file=${stolen}`, '--databases', 'mysql']).err).toMatchObject({ tag: 'denied' });
    expect(existsSync(stolen)).toBe(false);
    const copy = join(volume, 'stolen-copy');
    expect(run(exports, 'mariabackup', [...login(), '--backup', `--target-dir=${copy}`]).err).toMatchObject({ tag: 'denied' });
    expect(existsSync(copy)).toBe(false);
  });
});
