import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildRedisManager, prepareRequest, requireRedisServer, startRedisGuest, type RedisGuest } from '../../support/redis-guest.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

beforeAll(async () => {
  requireRedisServer();
  await buildRedisManager();
});

const text = (val: string) => ({ tag: 'text', val });
const integer = (val: bigint) => ({ tag: 'integer', val });
const boolean = (val: boolean) => ({ tag: 'boolean', val });

async function preparedGuest(): Promise<{ guest: RedisGuest; get(key: string): Promise<string> }> {
  const guest = await startRedisGuest(cleanups);
  expect(await guest.call('prepare', [prepareRequest()])).toEqual({ ok: undefined });
  return {
    guest,
    // a client per read: restarts close the ones before
    async get(key) {
      const client = guest.client();
      await client.connect();
      const [, value] = (await client.config('GET', key)) as [string, string];
      client.disconnect();
      return value;
    },
  };
}

describe('configuration overrides', () => {
  it('update persists, apply sets them live (CONFIG GET), a restart keeps them; removing one brings back the default', async () => {
    const { guest, get } = await preparedGuest();
    const overrides = [
      { key: 'maxmemory-policy', value: text('allkeys-lru') },
      { key: 'maxmemory', value: integer(64n * 1024n * 1024n) },
      { key: 'slowlog-max-len', value: integer(256n) },
      { key: 'lazyfree-lazy-eviction', value: boolean(true) },
    ];
    expect(await guest.call('update-overrides', [overrides, false])).toEqual({ ok: undefined });
    // persisted only: Redis reads the file at its next start
    expect(await get('maxmemory-policy')).toBe('noeviction');
    expect(await guest.call('apply-overrides', [overrides])).toEqual({ ok: undefined });
    expect(await get('maxmemory-policy')).toBe('allkeys-lru');
    expect(await get('maxmemory')).toBe('67108864');
    expect(await get('slowlog-max-len')).toBe('256');
    expect(await get('lazyfree-lazy-eviction')).toBe('yes');
    expect(await guest.call('status')).toEqual({ ok: 'running' });

    expect(await guest.call('restart')).toEqual({ ok: undefined });
    expect(await get('maxmemory-policy')).toBe('allkeys-lru');
    expect(await get('maxmemory')).toBe('67108864');

    expect(await guest.call('update-overrides', [[{ key: 'MaxMemory-Policy', value: text('') }], true])).toEqual({ ok: undefined });
    expect(await guest.call('restart')).toEqual({ ok: undefined });
    expect(await get('maxmemory-policy')).toBe('noeviction');
    expect(await get('maxmemory')).toBe('67108864');
  });

  it('refuses unknown keys, keys the manager owns and bad values, naming the key, and changes nothing', async () => {
    const { guest, get } = await preparedGuest();
    const before = await readFile(join(guest.volume, 'overrides.conf'), 'utf8');
    const refusals: Array<[string, unknown[], string]> = [
      ['update-overrides', [[{ key: 'no-such-setting', value: integer(1n) }], false], 'no-such-setting'],
      ['update-overrides', [[{ key: 'dir', value: text('/etc') }], false], 'dir'],
      ['update-overrides', [[{ key: 'port', value: integer(1n) }], false], 'port'],
      ['update-overrides', [[{ key: 'maxclients', value: integer(50n) }, { key: 'include', value: text('/etc/passwd') }], false], 'include'],
      ['update-overrides', [[{ key: 'maxmemory', value: text('lots') }], false], 'maxmemory'],
      ['update-overrides', [[{ key: 'hz', value: integer(100_000n) }], false], 'hz'],
      ['update-overrides', [[{ key: 'requirepass', value: text('x') }], true], 'requirepass'],
      ['apply-overrides', [[{ key: 'maxclients', value: integer(50n) }, { key: 'loadmodule', value: text('/tmp/x.so') }]], 'loadmodule'],
      ['apply-overrides', [[{ key: 'maxmemory-policy', value: text('sometimes') }]], 'maxmemory-policy'],
      ['apply-overrides', [[{ key: 'appendonly', value: integer(2n) }]], 'appendonly'],
    ];
    for (const [operation, args, field] of refusals) {
      expect(await guest.call(operation as 'update-overrides', args)).toMatchObject({ err: { tag: 'invalid-argument', val: { field } } });
    }
    expect(await readFile(join(guest.volume, 'overrides.conf'), 'utf8')).toBe(before);
    expect(await get('maxclients')).toBe('10000');
  });

  it('a setting Redis reads only at start turns the status to RESTART_REQUIRED until a restart applies it', async () => {
    const { guest, get } = await preparedGuest();
    const databases = [{ key: 'databases', value: integer(32n) }];
    expect(await guest.call('update-overrides', [databases, false])).toEqual({ ok: undefined });
    expect(await guest.call('apply-overrides', [databases])).toEqual({ ok: undefined });
    expect(await get('databases')).toBe('16');
    expect(await guest.call('status')).toEqual({ ok: 'restart-required' });
    expect(await guest.call('restart')).toEqual({ ok: undefined });
    expect(await guest.call('status')).toEqual({ ok: 'running' });
    expect(await get('databases')).toBe('32');
  });

  it('reset-configuration and start-db-with-conf-changes take config-contents, refusing keys the manager owns', async () => {
    const { guest, get } = await preparedGuest();
    expect(await guest.call('update-overrides', [[{ key: 'maxmemory-policy', value: text('allkeys-random') }], false])).toEqual({ ok: undefined });
    for (const contents of ['port 1', 'maxclients 10\ninclude /etc/passwd', 'aclfile /tmp/users.acl', 'save "1 1']) {
      expect(await guest.call('reset-configuration', [contents])).toMatchObject({ err: { tag: 'invalid-argument', val: { field: 'config-contents' } } });
    }
    expect(await guest.call('reset-configuration', ['# a reset\nmaxclients 77\nsave "900 1 300 10"\n'])).toEqual({ ok: undefined });
    expect(await guest.call('status')).toEqual({ ok: 'restart-required' });
    expect(await guest.call('restart')).toEqual({ ok: undefined });
    expect(await get('maxclients')).toBe('77');
    expect(await get('save')).toBe('900 1 300 10');
    // the reset dropped the overrides
    expect(await get('maxmemory-policy')).toBe('noeviction');

    expect(await guest.call('start-db-with-conf-changes', ['maxclients 66'])).toEqual({ ok: undefined });
    expect(await guest.call('status')).toEqual({ ok: 'running' });
    expect(await get('maxclients')).toBe('66');
    expect(await guest.call('start-db-with-conf-changes', ['bind 0.0.0.0'])).toMatchObject({ err: { tag: 'invalid-argument', val: { field: 'config-contents' } } });
  });
});
