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

/** What a fresh client gets for a write and a read: the value, or Redis's refusal. */
async function tryAs(guest: RedisGuest, password?: string): Promise<string> {
  const client = guest.client();
  try {
    await client.connect();
    // AUTH by hand: ioredis's own would only close the connection on a wrong password
    if (password !== undefined) await client.call('AUTH', password);
    await client.set('probe', 'written');
    return String(await client.get('probe'));
  } catch (error) {
    return (error as Error).message.split(' ')[0]!;
  } finally {
    client.disconnect();
  }
}

describe('root (the default user, what requirepass protects)', () => {
  it('enable generates a password a client then needs, enable with a password replaces it, disable removes it; restarts keep each', async () => {
    const guest = await startRedisGuest(cleanups);
    expect(await guest.call('prepare', [prepareRequest()])).toEqual({ ok: undefined });
    expect(await guest.call('is-root-enabled')).toEqual({ ok: false });
    expect(await tryAs(guest)).toBe('written');

    const enabled = await guest.call('enable-root', [undefined]);
    expect(enabled).toMatchObject({ ok: { name: 'default', password: expect.stringMatching(/^[0-9a-f]{36}$/) } });
    const generated = (enabled as { ok: { password: string } }).ok.password;
    expect(await guest.call('is-root-enabled')).toEqual({ ok: true });
    expect(await tryAs(guest)).toBe('NOAUTH');
    expect(await tryAs(guest, generated)).toBe('written');
    expect(await readFile(join(guest.volume, 'users.acl'), 'utf8')).not.toContain(generated);

    expect(await guest.call('restart')).toEqual({ ok: undefined });
    expect(await tryAs(guest)).toBe('NOAUTH');
    expect(await tryAs(guest, generated)).toBe('written');

    // each generated password is new
    const again = (await guest.call('enable-root', [undefined])) as { ok: { password: string } };
    expect(again.ok.password).not.toBe(generated);
    expect(await tryAs(guest, generated)).toBe('WRONGPASS');
    expect(await tryAs(guest, again.ok.password)).toBe('written');

    expect(await guest.call('enable-root', ['chosen by the user'])).toEqual({ ok: { name: 'default', password: 'chosen by the user' } });
    expect(await tryAs(guest, again.ok.password)).toBe('WRONGPASS');
    expect(await tryAs(guest, 'chosen by the user')).toBe('written');
    expect(await guest.call('enable-root', [''])).toMatchObject({ err: { tag: 'invalid-argument', val: { field: 'password' } } });

    expect(await guest.call('disable-root')).toEqual({ ok: undefined });
    expect(await guest.call('is-root-enabled')).toEqual({ ok: false });
    expect(await tryAs(guest)).toBe('written');
    expect(await guest.call('restart')).toEqual({ ok: undefined });
    expect(await tryAs(guest)).toBe('written');
    expect(await guest.call('is-root-enabled')).toEqual({ ok: false });
  });

  it('uses the guest option default_password_length, and answers unavailable while the server is stopped', async () => {
    const guest = await startRedisGuest(cleanups, { options: { default_password_length: 20 } });
    expect(await guest.call('prepare', [prepareRequest()])).toEqual({ ok: undefined });
    expect(await guest.call('enable-root', [undefined])).toMatchObject({ ok: { password: expect.stringMatching(/^[0-9a-f]{20}$/) } });
    expect(await guest.call('stop-db', [false])).toEqual({ ok: undefined });
    expect(await guest.call('disable-root')).toMatchObject({ err: { tag: 'unavailable' } });
    expect(await guest.call('is-root-enabled')).toMatchObject({ err: { tag: 'unavailable' } });
  });
});
