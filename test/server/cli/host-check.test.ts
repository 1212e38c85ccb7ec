import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
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

describe('berth host --call', () => {
  it('runs one operation of the manager in its sandbox with no server: its effect on the volume, its answer as JSON', async () => {
    const { home, guest } = await fixture();
    const created = await berthProcess(['host', '--config', guest.configPath, '--call', 'create-databases', '--args', '[[{"name":"orders"}]]'], { home });
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toHaveProperty('ok');
    expect(await readFile(join(guest.volume, 'effects.log'), 'utf8')).toBe('orders\n');
    const listed = await berthProcess(['host', '--config', guest.configPath, '--call', 'list-databases', '--args', '[{"includeMarker":false}]'], { home });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).ok.items.map((item: { name: string }) => item.name)).toEqual(['orders']);
  });

  it("answers an operation the manager did not write with its err (unsupported) and exit 1", async () => {
    const { home, guest } = await fixture();
    const result = await berthProcess(['host', '--config', guest.configPath, '--call', 'get-filesystem-stats', '--args', '[""]'], { home });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).err.tag).toBe('unsupported');
  });

  it('refuses an operation the contract does not have, and arguments that are not a JSON array, as usage errors', async () => {
    const { home, guest } = await fixture();
    const unknown = await berthProcess(['host', '--config', guest.configPath, '--call', 'drop-everything'], { home });
    expect(unknown.stderr).toContain('BERTH_ERR_USAGE');
    const notArray = await berthProcess(['host', '--config', guest.configPath, '--call', 'list-databases', '--args', '{"limit":1}'], { home });
    expect(notArray.stderr).toContain('BERTH_ERR_USAGE');
    const badArtifact = await berthProcess(['host', '--config', guest.configPath, '--call', 'restore-backup', '--artifact', 'nofile'], { home });
    expect(badArtifact.stderr).toContain('BERTH_ERR_USAGE');
  });
});
