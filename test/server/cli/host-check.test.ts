import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { berthProcess } from '../../support/cli.js';
import { guestFixture } from '../../support/guest-host.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A guest config whose server is never dialed (nothing listens on port 9), with a cache of its own. */
async function fixture(overrides: (config: Record<string, unknown>) => void = () => undefined) {
  const home = await mkdtemp(join(tmpdir(), 'berth-check-'));
  const cacheDir = join(home, 'cache');
  const guest = await guestFixture('counter', 'ws://127.0.0.1:9/v1/guests', (config) => {
    (config.host as Record<string, unknown>).cache_dir = cacheDir;
    overrides(config);
  });
  cleanups.push(() => guest.cleanup(), () => rm(home, { recursive: true, force: true }));
  return { home, cacheDir, guest };
}

describe('berth host --check', () => {
  it('checks the config and the manager, fills the transpile cache and exits without dialing the server', async () => {
    const { home, cacheDir, guest } = await fixture();
    const result = await berthProcess(['host', '--check', '--config', guest.configPath], { home });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`sha256 ${guest.sha256}`);
    expect(result.stdout).toContain('is ready to run');
    const entries = await readdir(cacheDir);
    expect(entries).toHaveLength(1);
    expect(await readdir(join(cacheDir, entries[0]!))).toEqual(expect.arrayContaining(['manager.js', 'meta.json']));
  });

  it('refuses a manager the config does not pin, with its catalogue error and exit code 3, and caches nothing', async () => {
    const { home, cacheDir, guest } = await fixture((config) => {
      (config.manager as { sha256: string }).sha256 = '0'.repeat(64);
    });
    const result = await berthProcess(['host', '--check', '--config', guest.configPath], { home });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('BERTH_ERR_WASM_SHA256_MISMATCH');
    expect(await readdir(cacheDir).catch(() => [])).toEqual([]);
  });
});
