import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'smol-toml';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packGuest, type PackResult } from '../../../host/bundling/pack-guest.js';
import { loadGuestConfig } from '../../../host/config/load-config.js';
import { checkRequiredGrants } from '../../../host/config/required-grants.js';
import { BerthError } from '../../../datastores/errors/berth-error.js';
import { buildFixture } from '../../support/components.js';
import { runProcess } from '../../support/cli.js';
import { startHub, TOKEN, until } from '../../support/guest-host.js';
import { testHostNode } from '../../support/host-under-test.js';
import { HOST_MALLOC_TUNABLES } from '../../../host/malloc-tunables.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Every bare module a bundle's JavaScript imports: Node's own, and jco (needed only for a manager the cache lacks). */
async function bareImports(lib: string): Promise<Set<string>> {
  const found = new Set<string>();
  for (const name of await readdir(lib)) {
    const source = await readFile(join(lib, name), 'utf8');
    for (const match of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"'./][^"']*)["']/g)) found.add(match[1]!);
  }
  return found;
}

let root: string;
let packed: PackResult;
let extracted: string;
let counterWasm: string;

beforeAll(async () => {
  // outside the repository: no node_modules up the tree, as on a database server
  root = await mkdtemp(join(tmpdir(), 'berth-pack-'));
  const counter = await buildFixture('counter', 'quickjs');
  counterWasm = join(root, 'counter.wasm');
  await writeFile(counterWasm, counter.bytes);
  packed = await packGuest({ wasm: counterWasm, out: join(root, 'counter.tgz'), prefix: join(root, 'opt') });
  // extracted with the system's tar, as an image builder would
  extracted = join(root, 'opt');
  await mkdir(extracted, { recursive: true });
  const untar = await runProcess('tar', ['-xzf', packed.out, '-C', extracted], {});
  expect(untar.code, untar.stderr).toBe(0);
  return () => rm(root, { recursive: true, force: true });
});

describe('berth pack', () => {
  it('writes the host, its workers, the manager, its transpile cache and the templates, and no package directory', async () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(['lib/host.js', 'lib/worker.js', 'lib/connections-worker.js', 'manager/counter.wasm', 'guest.toml.example', 'berth-host.service', 'PACK.json']));
    expect(paths.some((path) => path.startsWith('cache/') && path.endsWith('meta.json'))).toBe(true);
    expect(paths.some((path) => path.includes('node_modules'))).toBe(false);
    const imports = [...(await bareImports(join(extracted, 'lib')))].filter((name) => !name.startsWith('node:'));
    expect(imports).toEqual(['@bytecodealliance/jco']);
    const described = JSON.parse(await readFile(join(extracted, 'PACK.json'), 'utf8')) as { manager: { sha256: string }; drivers: string[] };
    expect(described.manager.sha256).toBe(packed.sha256);
    expect(described.drivers).toEqual([]);
    // malloc-tunables.ts: the unit starts the host with what a backup leaves allocated returned to the system
    const unit = await readFile(join(extracted, 'berth-host.service'), 'utf8');
    expect(unit).toContain(`Environment=GLIBC_TUNABLES=${HOST_MALLOC_TUNABLES}\n`);
  });

  it('runs from the extracted archive with Node.js alone: connects, answers through the sandbox, transpiles nothing', async () => {
    const server = await startHub({});
    cleanups.push(() => server.close());
    const template = parse(await readFile(join(extracted, 'guest.toml.example'), 'utf8')) as Record<string, Record<string, unknown>>;
    const volume = await mkdtemp(join(root, 'volume-'));
    template.guest = { instance_id: 'inst-1', server_url: server.url, token: TOKEN };
    template.options = { ...template.options, mount_point: '/var/lib/counter' };
    template.grants = { ...template.grants, directories: [{ host: volume, guest: '/var/lib/counter', access: 'read-write' }] };
    template.host = { ...template.host, report_interval: 0.2, state_dir: join(root, 'state'), spool_dir: join(root, 'spool') };
    const config = join(root, 'guest.toml');
    await writeFile(config, stringify(template));
    // jco cannot be found from here: a transpile-cache miss would end the host with BERTH_ERR_TRANSPILE_UNAVAILABLE;
    // the Node.js is BERTH_TEST_HOST_NODE's when set (CI runs this on Node 24 too)
    const child = spawn(testHostNode(), [join(extracted, 'lib', 'host.js'), '--config', config], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    cleanups.push(async () => {
      child.kill('SIGTERM');
      await exited;
    });
    await until(() => server.hub.isConnected('inst-1') || child.exitCode !== null, 'the packed host to connect');
    expect(server.hub.isConnected('inst-1'), stderr).toBe(true);
    expect(server.hub.helloOf('inst-1')).toMatchObject({ sha256: packed.sha256, manifest: { name: 'counter' } });
    const db = { name: 'orders', characterSet: undefined, collation: undefined };
    expect(await server.hub.call('inst-1', 'create-databases', [[db]], 5000)).toEqual({ ok: undefined });
    expect(await server.hub.call('inst-1', 'delete-user', [{ name: 'x', host: undefined }], 5000)).toEqual({ err: { tag: 'unsupported', val: 'delete-user' } });
    // its stderr is its JSON log and nothing else: no word from Node.js or V8 about a flag or an API
    expect(stderr.split('\n').filter((line) => line !== '' && !line.startsWith('{')), stderr).toEqual([]);
  });

  it('refuses a manager its cache does not hold, naming the fix, when jco is not installed beside it', async () => {
    const other = await buildFixture('three-ops', 'quickjs');
    const wasm = join(root, 'other.wasm');
    await writeFile(wasm, other.bytes);
    const program = join(root, 'tinydb-ctl');
    await writeFile(program, '#!/bin/sh\n', { mode: 0o755 });
    const config = join(root, 'other.toml');
    await writeFile(config, stringify({ guest: { instance_id: 'inst-2', server_url: 'ws://127.0.0.1:9/v1/guests', token: TOKEN }, manager: { path: wasm },
      host: { cache_dir: join(extracted, 'cache') },
      grants: { programs: [program], directories: [{ host: root, guest: '/var/lib/tinydb', access: 'read-write' }], connections: { admin: { kind: 'postgresql', url: 'postgres://x@127.0.0.1:9/postgres' } } },
    }));
    const result = await runProcess(testHostNode(), [join(extracted, 'lib', 'host.js'), '--config', config, '--check'], { cwd: root });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^error BERTH_ERR_TRANSPILE_UNAVAILABLE/);
  });

  it('answers a bad command line with BERTH_ERR_USAGE and exit code 2', async () => {
    const result = await runProcess(testHostNode(), [join(extracted, 'lib', 'host.js'), '--confg', 'x'], { cwd: root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error BERTH_ERR_USAGE/);
  });

  it("writes a template that grants exactly the manifest's requests and that the host refuses until its placeholders are filled in", async () => {
    const counter = await buildFixture('counter', 'quickjs');
    const text = await readFile(join(extracted, 'guest.toml.example'), 'utf8');
    const config = join(root, 'template.toml');
    await writeFile(config, text);
    let refused: unknown;
    try {
      loadGuestConfig(config);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(BerthError);
    expect((refused as BerthError).code).toBe('BERTH_ERR_CONFIG_INVALID');
    expect((refused as BerthError).message).toMatch(/guest\.instance_id/);
    // filled in, it passes the host's checks, grants included
    const filled = parse(text) as Record<string, Record<string, unknown>>;
    filled.guest = { instance_id: 'inst-3', server_url: 'ws://127.0.0.1:9/v1/guests', token: TOKEN };
    // the counter declares no default mount point: the template names the option where the path goes
    expect((filled.grants as { directories: Array<{ host: string }> }).directories.map((grant) => grant.host)).toEqual(['{mount_point}']);
    filled.options = { ...filled.options, mount_point: root };
    filled.grants = { ...filled.grants, directories: [{ host: root, access: 'read-write' }] };
    await writeFile(config, stringify(filled));
    const loaded = loadGuestConfig(config);
    expect(() => checkRequiredGrants(counter.manifest, loaded, config)).not.toThrow();
    expect(loaded.manager.sha256).toBe(packed.sha256);
  });

  it('refuses a connection URL that still has a {placeholder} in it, naming the field', async () => {
    const config = join(root, 'placeholder.toml');
    await writeFile(config, stringify({
      guest: { instance_id: 'inst-4', server_url: 'ws://127.0.0.1:9/v1/guests', token: TOKEN },
      manager: { path: counterWasm },
      grants: { connections: { admin: { kind: 'postgresql', url: 'postgres://os_admin:{admin_password}@127.0.0.1:5432/postgres' } } },
    }));
    let refused: unknown;
    try {
      loadGuestConfig(config);
    } catch (error) {
      refused = error;
    }
    expect((refused as BerthError).code).toBe('BERTH_ERR_CONFIG_INVALID');
    expect((refused as BerthError).message).toMatch(/grants\.connections\.admin\.url.*\{admin_password\}/s);
  });
});
