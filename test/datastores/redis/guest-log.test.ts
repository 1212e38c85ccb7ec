import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildRedisManager, prepareRequest, requireRedisServer, startRedisGuest } from '../../support/redis-guest.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

beforeAll(async () => {
  requireRedisServer();
  await buildRedisManager();
});

describe('guest logs', () => {
  it("lists redis-server's log and reads it in chunks", async () => {
    const guest = await startRedisGuest(cleanups);
    expect(await guest.call('guest-log-list')).toEqual({ ok: [{ name: 'redis', kind: 'system', status: 'unavailable', size: 0n, published: 0n }] });
    expect(await guest.call('prepare', [prepareRequest()])).toEqual({ ok: undefined });

    const listed = (await guest.call('guest-log-list')) as { ok: Array<{ size: bigint }> };
    expect(listed).toMatchObject({ ok: [{ name: 'redis', kind: 'system', status: 'enabled' }] });
    const size = listed.ok[0]!.size;
    expect(size).toBeGreaterThan(0n);

    let offset = 0n;
    let log = '';
    for (;;) {
      const chunk = (await guest.call('guest-log-read', ['redis', offset, 100])) as { ok: { data: Uint8Array; nextOffset: bigint; eof: boolean } };
      expect(chunk.ok.data.length).toBeLessThanOrEqual(100);
      log += Buffer.from(chunk.ok.data).toString('utf8');
      offset = chunk.ok.nextOffset;
      if (chunk.ok.eof) break;
    }
    expect(offset).toBeGreaterThanOrEqual(size);
    expect(log).toContain('Ready to accept connections');

    expect(await guest.call('guest-log-read', ['slow', 0n, 100])).toEqual({ err: { tag: 'not-found', val: 'log slow' } });
    expect(await guest.call('guest-log-read', ['redis', offset + 1_000_000n, 100])).toMatchObject({ err: { tag: 'invalid-argument', val: { field: 'offset' } } });
  });
});
