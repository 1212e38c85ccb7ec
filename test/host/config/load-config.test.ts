import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'smol-toml';
import { guestFixture, spawnHost, type GuestFixture } from '../../support/guest-host.js';

let fixture: GuestFixture;
beforeAll(async () => {
  fixture = await guestFixture('counter', 'ws://127.0.0.1:1/v1/guests');
});
afterAll(async () => {
  await fixture.cleanup();
});

function base(): Record<string, any> {
  return {
    guest: { instance_id: 'inst-1', server_url: 'ws://127.0.0.1:1/v1/guests', token: 'token-for-tests-0123456789' },
    manager: { path: fixture.wasm, sha256: fixture.sha256 },
    options: { mount_point: '/var/lib/counter' },
    grants: { directories: [{ host: fixture.volume, guest: '/var/lib/counter', access: 'read-write' }] },
  };
}

async function runWith(name: string, edit: (config: Record<string, any>) => void, raw?: string) {
  const config = base();
  edit(config);
  const path = join(fixture.dir, name);
  await writeFile(path, raw ?? stringify(config));
  const host = spawnHost(path);
  const code = await host.exited;
  return { code, stderr: host.stderr() };
}

describe('berth host refuses a bad guest config before touching anything', () => {
  it.each([
    ['a missing key', (c: Record<string, any>) => delete c.guest.token, 3, 'BERTH_ERR_CONFIG_INVALID', 'guest.token'],
    ['a wrong type', (c: Record<string, any>) => (c.host = { report_interval: 'fast' }), 3, 'BERTH_ERR_CONFIG_INVALID', 'host.report_interval'],
    ['a memory limit too small for a JS engine', (c: Record<string, any>) => (c.host = { memory_limit: 1024 * 1024 }), 3, 'BERTH_ERR_CONFIG_INVALID', 'host.memory_limit'],
    ['an unknown grant', (c: Record<string, any>) => (c.grants.network = ['0.0.0.0/0']), 3, 'BERTH_ERR_CONFIG_INVALID', '"network"'],
    ['a spawn limit of 0', (c: Record<string, any>) => (c.host = { spawn_limit: 0 }), 3, 'BERTH_ERR_CONFIG_INVALID', 'host.spawn_limit'],
    // zod throws, instead of failing, on a table whose `length` cannot become a number where text belongs
    ['a token that is such a table', (c: Record<string, any>) => (c.guest.token = { length: { toString: 0 } }), 3, 'BERTH_ERR_CONFIG_INVALID', 'cannot check'],
    ['a relative program path', (c: Record<string, any>) => (c.grants.programs = ['bin/sh']), 3, 'BERTH_ERR_CONFIG_INVALID', 'grants.programs[0]'],
    ['a missing .wasm', (c: Record<string, any>) => (c.manager.path = '/nonexistent/manager.wasm'), 3, 'BERTH_ERR_CONFIG_INVALID', 'manager.path'],
    ['a wrong sha256', (c: Record<string, any>) => (c.manager.sha256 = '0'.repeat(64)), 3, 'BERTH_ERR_WASM_SHA256_MISMATCH', fixture?.wasm ?? '.wasm'],
    ['a server URL that is not ws://', (c: Record<string, any>) => (c.guest.server_url = 'http://x'), 3, 'BERTH_ERR_CONFIG_INVALID', 'guest.server_url'],
    // an answer within the limit must fit in a frame the server accepts (8 MiB)
    ['a result limit no frame can carry', (c: Record<string, any>) => (c.host = { result_limit: 8 * 1024 * 1024 }), 3, 'BERTH_ERR_CONFIG_INVALID', 'host.result_limit'],
    [
      'a bootstrap superuser on a connection that is not PostgreSQL',
      (c: Record<string, any>) => (c.grants.connections = { admin: { kind: 'mysql', url: 'mysql://os_admin@127.0.0.1/mysql', bootstrap_url: 'postgres://su@127.0.0.1/postgres' } }),
      3,
      'BERTH_ERR_CONFIG_INVALID',
      'grants.connections.admin.bootstrap_url',
    ],
    [
      'a grant the manager needs, given read-only',
      (c: Record<string, any>) => (c.grants.directories[0].access = 'read-only'),
      3,
      'BERTH_ERR_GRANTS_MISSING',
      'directory /var/lib/counter read-write',
    ],
  ])('%s', async (label, edit, exitCode, code, names) => {
    const { code: exit, stderr } = await runWith(`${label.replace(/\W+/g, '-')}.toml`, edit);
    expect(exit).toBe(exitCode);
    expect(stderr).toMatch(new RegExp(`^error ${code}: `, 'm'));
    expect(stderr).toContain(names);
    expect(stderr).toContain('fix: ');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('names the line of a TOML syntax error', async () => {
    const { code, stderr } = await runWith('broken.toml', () => undefined, '[guest]\ninstance_id = "a"\nserver_url = \n');
    expect(code).toBe(3);
    expect(stderr).toMatch(/error BERTH_ERR_CONFIG_INVALID: .*broken\.toml: not valid TOML at line 3/);
  });

  it('names a config file that does not exist', async () => {
    const host = spawnHost(join(fixture.dir, 'absent.toml'));
    expect(await host.exited).toBe(2);
    expect(host.stderr()).toMatch(/^error BERTH_ERR_CONFIG_NOT_FOUND: cannot read .*absent\.toml: no such file/m);
  });

  it('accepts the same config as JSON', async () => {
    const path = join(fixture.dir, 'guest.json');
    const config = base();
    config.manager.sha256 = 'f'.repeat(64); // stop at the sha256 check: proof the JSON was parsed and validated
    await writeFile(path, JSON.stringify(config));
    const host = spawnHost(path);
    expect(await host.exited).toBe(3);
    expect(host.stderr()).toContain('BERTH_ERR_WASM_SHA256_MISMATCH');
  });
});
