import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { transpileManager } from '../../../host/component/checked-manager.js';
import { transpileHere, transpileInChildProcess } from '../../../host/component/jco-transpile.js';
import { buildFixture } from '../../support/components.js';
import { guestFixture, spawnHost, startHub } from '../../support/guest-host.js';
import { BerthError } from '../../../datastores/errors/berth-error.js';

let bytes: Uint8Array;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  bytes = (await buildFixture('counter', 'quickjs')).bytes;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('jco in a process of its own', () => {
  it('gives the same output as jco in this process', async () => {
    const [here, child] = await Promise.all([transpileHere(bytes), transpileInChildProcess(bytes)]);
    expect(Object.keys(child.files).sort()).toEqual(Object.keys(here.files).sort());
    expect(Object.keys(child.files)).toContain('manager.js');
    for (const [name, content] of Object.entries(here.files)) expect(Buffer.from(child.files[name]!).equals(Buffer.from(content))).toBe(true);
    expect(child.imports).toEqual(here.imports);
    expect(child.exports).toEqual(here.exports);
  });

  it("reports jco's refusal of a damaged component as the file's fault", async () => {
    const damaged = bytes.slice(0, Math.floor(bytes.length / 2));
    const refusal = await transpileInChildProcess(damaged).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(Error);
    const checked = await transpileManager(damaged, '/images/counter.wasm', undefined, undefined, transpileInChildProcess).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(checked).toBeInstanceOf(BerthError);
    expect((checked as BerthError).code).toBe('BERTH_ERR_WASM_INVALID');
    expect((checked as BerthError).message).toContain('/images/counter.wasm');
  });

  it('leaves a guest host that transpiled its manager without jco loaded, and fills the transpile cache', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'berth-cold-cache-'));
    cleanups.push(() => rm(cacheDir, { recursive: true, force: true }));
    let connected = false;
    const hub = await startHub({ onConnect: () => (connected = true) });
    cleanups.push(() => hub.close());
    const fixture = await guestFixture('counter', hub.url, (config) => {
      (config.host as Record<string, unknown>).cache_dir = cacheDir;
    });
    cleanups.push(() => fixture.cleanup());
    // what guestFixture filled in for a bundle under test: this host must make its own
    await rm(cacheDir, { recursive: true, force: true });
    await mkdir(cacheDir);
    // the installed package's host, also when the suite runs the bundle: only it has jco beside it to transpile with
    const host = spawnHost(fixture.configPath, [], 'installed');
    cleanups.push(async () => {
      host.child.kill('SIGTERM');
      await host.exited;
    });
    for (const deadline = Date.now() + 30_000; !connected; await new Promise((resolve) => setTimeout(resolve, 10))) {
      if (Date.now() > deadline || host.child.exitCode !== null) throw new Error(`host not ready: ${host.stderr().slice(-2000)}`);
    }
    expect(await hub.hub.call('inst-1', 'status', [], 5000)).toHaveProperty('ok');
    // jco's native minifier is mapped into any process that loads jco; the host's own memory must not hold it
    const mapped = readFileSync(`/proc/${host.child.pid}/maps`, 'utf8');
    expect(mapped).not.toMatch(/oxc|jco/);
    const entries = await readdir(cacheDir);
    expect(entries).toHaveLength(1);
    expect((await readdir(join(cacheDir, entries[0]!))).sort()).toEqual(expect.arrayContaining(['manager.js', 'meta.json']));
  });
});
