import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  buildRedisManager,
  prepareRequest,
  requireRedisServer,
  startRedisGuest,
  type RedisGuest,
  type StoredBackup,
} from '../../support/redis-guest.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

beforeAll(async () => {
  requireRedisServer();
  await buildRedisManager();
});

// a value larger than one artifact chunk (256 KiB), incompressible so the RDB is too
const LARGE = randomBytes(400 * 1024).toString('base64');

async function client(guest: RedisGuest) {
  const connection = guest.client();
  await connection.connect();
  return connection;
}

function sourceOf(id: string, stored: StoredBackup, metadata: unknown[]) {
  return { id, format: 'redis-rdb', metadata, size: BigInt(stored.data.length), checksum: stored.sha256 };
}

async function takeBackup(guest: RedisGuest, id: string) {
  const outcome = (await guest.call('create-backup', [{ id, strategy: undefined, parent: undefined }])) as { ok: { format: string; metadata: Array<{ key: string; value: string }> } };
  expect(outcome).toMatchObject({ ok: { format: 'redis-rdb' } });
  const stored = guest.backups.get(id)!;
  expect(stored.data.subarray(0, 5).toString('latin1')).toBe('REDIS');
  expect(outcome.ok.metadata).toEqual([
    { key: 'redis_version', value: expect.stringMatching(/^\d+\.\d+\.\d+$/) },
    { key: 'size', value: String(stored.data.length) },
  ]);
  return sourceOf(id, stored, outcome.ok.metadata);
}

describe('backups: an RDB snapshot streamed to the server, and restored from it', () => {
  it('backs up, then restores over changed data: the snapshot comes back, later writes are gone', async () => {
    const guest = await startRedisGuest(cleanups);
    expect(await guest.call('prepare', [prepareRequest()])).toEqual({ ok: undefined });
    const before = await client(guest);
    await before.set('large', LARGE);
    await before.hset('account:1', { name: 'ada', balance: '42' });
    await before.rpush('events', 'one', 'two', 'three');

    const source = await takeBackup(guest, `b-${randomBytes(4).toString('hex')}`);
    expect(guest.backups.get(source.id)!.data.length).toBeGreaterThan(400 * 1024);

    await before.del('large');
    await before.hset('account:1', { balance: '0' });
    await before.set('written-after-the-backup', 'yes');

    expect(await guest.call('restore-backup', [source])).toEqual({ ok: undefined });
    expect(await guest.call('status')).toEqual({ ok: 'running' });
    const after = await client(guest);
    expect(await after.get('large')).toBe(LARGE);
    expect(await after.hgetall('account:1')).toEqual({ name: 'ada', balance: '42' });
    expect(await after.lrange('events', 0, -1)).toEqual(['one', 'two', 'three']);
    expect(await after.exists('written-after-the-backup')).toBe(0);
    // the host's spool holds nothing once the calls returned
    expect(await readdir(join(guest.dir, 'spool'))).toEqual([]);
  });

  it('restores under appendonly yes: the data is loaded from the RDB and written to a fresh AOF that a restart reads', async () => {
    const guest = await startRedisGuest(cleanups);
    const appendOnly = [{ key: 'appendonly', value: { tag: 'boolean', val: true } }];
    expect(await guest.call('prepare', [prepareRequest({ overrides: appendOnly })])).toEqual({ ok: undefined });
    const writer = await client(guest);
    expect(await writer.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    await writer.set('kept', 'by the backup');
    const source = await takeBackup(guest, 'aof-backup');
    await writer.set('kept', 'overwritten');

    expect(await guest.call('restore-backup', [source])).toEqual({ ok: undefined });
    const reader = await client(guest);
    expect(await reader.get('kept')).toBe('by the backup');
    expect(await reader.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);

    // with appendonly on, redis-server loads only the AOF (an empty one would mean an empty server)
    process.kill(guest.pid()!, 'SIGKILL');
    expect(await guest.call('restart')).toEqual({ ok: undefined });
    const afterCrash = await client(guest);
    expect(await afterCrash.get('kept')).toBe('by the backup');
  });

  it('prepares a new guest from a backup, and refuses strategies, parents and formats it does not have', async () => {
    const backups = new Map<string, StoredBackup>();
    const first = await startRedisGuest(cleanups, { backups });
    expect(await first.call('prepare', [prepareRequest()])).toEqual({ ok: undefined });
    await (await client(first)).set('origin', 'the first guest');
    const source = await takeBackup(first, 'seed');

    expect(await first.call('create-backup', [{ id: 'x1', strategy: 'MongoDump', parent: undefined }])).toMatchObject({ err: { tag: 'invalid-argument', val: { field: 'strategy' } } });
    expect(await first.call('create-backup', [{ id: 'x2', strategy: undefined, parent: source }])).toMatchObject({ err: { tag: 'invalid-argument', val: { field: 'parent' } } });
    expect(await first.call('restore-backup', [{ ...source, format: 'pg-base-tar' }])).toMatchObject({ err: { tag: 'invalid-argument', val: { field: 'format' } } });
    // refused before the server was touched
    expect(await first.call('status')).toEqual({ ok: 'running' });

    const second = await startRedisGuest(cleanups, { backups });
    expect(await second.call('prepare', [prepareRequest({ backup: source, rootPassword: 'from-prepare' })])).toEqual({ ok: undefined });
    const restored = second.client();
    await restored.connect();
    await restored.call('AUTH', 'from-prepare');
    expect(await restored.get('origin')).toBe('the first guest');
  });
});
