import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { stringify } from 'smol-toml';
import { afterEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { sha256 } from '../../../datastores/toolchain/digest.js';
import { inspectManager } from '../../../datastores/toolchain/inspect.js';
import { checkManagerWorld } from '../../../datastores/toolchain/world-check.js';
import { OPERATION_INTERFACES } from '../../../datastores/sdk/operations.js';
import { describeComponent } from '../../../host/component/describe.js';
import { runHost, transpiledForHostUnderTest, startHub, TOKEN, until } from '../../support/guest-host.js';

/**
 * The example directory manager as `berth build` built it against
 * berth:datastore@0.1.0 (before the manifest had `parameters`), gzipped to
 * keep the repository small (6.8 MB raw, 2 MB gzipped). It is never rebuilt:
 * it stands for a manager someone built and installed before the contract moved.
 */
const FIXTURE = join(PACKAGE_ROOT, 'test', 'fixtures', 'contract-0.1.0', 'directory.wasm.gz');

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function unpacked(): Promise<{ dir: string; wasm: string; bytes: Uint8Array }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-contract-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const bytes = gunzipSync(await readFile(FIXTURE));
  const wasm = join(dir, 'directory-0.1.0.wasm');
  await writeFile(wasm, bytes);
  return { dir, wasm, bytes };
}

const db = (name: string) => ({ name, characterSet: undefined, collation: undefined });

describe('a manager built for berth:datastore@0.1.0', () => {
  it('inspects and describes: contract 0.1.0, no parameter rules', async () => {
    const { wasm, bytes } = await unpacked();
    const report = await inspectManager(wasm);
    expect(report.manifest.contract).toBe('berth:datastore@0.1.0');
    expect(report.manifest.parameters).toEqual([]);
    expect(report.supported).toEqual(['create-databases', 'list-databases', 'delete-database']);
    const described = await describeComponent(bytes, wasm);
    expect(described).toEqual(report.manifest);
  });

  it('loads in a real host and runs operations', async () => {
    const { dir, wasm, bytes } = await unpacked();
    const volume = join(dir, 'volume');
    await mkdir(volume);
    const server = await startHub({});
    cleanups.push(() => server.close());
    const config = {
      guest: { instance_id: 'inst-1', server_url: server.url, token: TOKEN },
      manager: { path: wasm, sha256: sha256(bytes) },
      options: { mount_point: '/var/lib/directory' },
      grants: { directories: [{ host: volume, guest: '/var/lib/directory', access: 'read-write' }] },
      host: { report_interval: 0.5, call_timeout: 10, slow_call_timeout: 30, state_dir: join(dir, 'state'), spool_dir: join(dir, 'spool') },
    };
    const configPath = join(dir, 'guest.toml');
    await writeFile(configPath, stringify(config));
    await transpiledForHostUnderTest(bytes, sha256(bytes));
    runHost(configPath, cleanups);
    await until(() => server.hub.isConnected('inst-1'), 'the 0.1.0 host to connect', 30_000);
    expect(server.hub.helloOf('inst-1')).toMatchObject({ manifest: { name: 'berth-directory', contract: 'berth:datastore@0.1.0' } });

    expect(await server.hub.call('inst-1', 'create-databases', [[db('orders')]], 10_000)).toEqual({ ok: undefined });
    expect(await server.hub.call('inst-1', 'list-databases', [{ limit: undefined, marker: undefined, includeMarker: false }], 10_000)).toMatchObject({
      ok: { items: [{ name: 'orders' }] },
    });
    expect(await server.hub.call('inst-1', 'delete-user', [{ name: 'x', host: undefined }], 10_000)).toEqual({ err: { tag: 'unsupported', val: 'delete-user' } });
  }, 60_000);
});

describe('the world check across contract versions', () => {
  const exportsOf = (version: string) => ['manifest', ...OPERATION_INTERFACES].map((name) => `berth:datastore/${name}@${version}`);
  const importsOf = (version: string) => ['types', 'exec', 'connections', 'events', 'artifacts'].map((name) => `berth:datastore/${name}@${version}`);
  const codeOf = (run: () => void): string | undefined => {
    try {
      run();
      return undefined;
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };

  it('takes a component of 0.1.0 or of 0.2.0, each whole', () => {
    expect(codeOf(() => checkManagerWorld({ exports: exportsOf('0.1.0'), imports: importsOf('0.1.0') }, 'm.wasm'))).toBeUndefined();
    expect(codeOf(() => checkManagerWorld({ exports: exportsOf('0.2.0'), imports: importsOf('0.2.0') }, 'm.wasm'))).toBeUndefined();
  });

  it('refuses a component mixing versions, and one of a version it does not know', () => {
    const mixed = [...exportsOf('0.2.0').slice(0, 3), ...exportsOf('0.1.0').slice(3)];
    expect(codeOf(() => checkManagerWorld({ exports: mixed, imports: [] }, 'm.wasm'))).toBe('BERTH_ERR_WASM_WRONG_WORLD');
    expect(codeOf(() => checkManagerWorld({ exports: exportsOf('0.3.0'), imports: [] }, 'm.wasm'))).toBe('BERTH_ERR_WASM_WRONG_WORLD');
    expect(codeOf(() => checkManagerWorld({ exports: exportsOf('0.2.0'), imports: importsOf('0.1.0') }, 'm.wasm'))).toBe('BERTH_ERR_WASM_UNGRANTABLE_IMPORT');
  });
});
