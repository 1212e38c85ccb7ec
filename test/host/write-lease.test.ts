import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BerthError } from '../../datastores/errors/berth-error.js';
import type { MethodResult } from '../../host/rpc/protocol.js';
import { guestFixture, runHost, startHub, until } from '../support/guest-host.js';
import { alive, buildRedisManager, prepareRequest, requireRedisServer, startRedisGuest, type RedisGuest } from '../support/redis-guest.js';

// The guest host's write lease (host/write-lease.ts) against a real host and a real redis-server:
// the test plays the server's part, sending guest.lease itself.
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeAll(async () => {
  requireRedisServer();
  await buildRedisManager();
});

const LEASE_MS = 1500;
type Answer = MethodResult<'guest.lease'>;

/** What a SET answers: "written", or the Redis error code (the reply's first word). */
const writeOutcome = (client: Redis) => client.set('probe', String(Date.now())).then(() => 'written', (error: Error) => error.message.split(' ')[0]!);

async function preparedGuest(): Promise<{ guest: RedisGuest; client: Redis }> {
  const guest = await startRedisGuest(cleanups);
  expect(await guest.call('prepare', [prepareRequest()])).toEqual({ ok: undefined });
  const client = guest.client();
  await client.connect();
  expect(await writeOutcome(client)).toBe('written');
  return { guest, client };
}

/** As the server's keeper renews: with the host's latest token, and once more at once when the host held nothing yet. */
async function renew(guest: RedisGuest, last: Answer | undefined): Promise<Answer> {
  const first = await guest.hub.lease('inst-1', { durationMs: LEASE_MS, ...(last ? { token: last.token } : {}) }, 5000);
  return first.held ? first : guest.hub.lease('inst-1', { durationMs: LEASE_MS, token: first.token }, 5000);
}

async function killHost(guest: RedisGuest): Promise<void> {
  const pid = guest.hostPid();
  process.kill(pid, 'SIGKILL');
  await until(() => !alive(pid) && !guest.hub.isConnected('inst-1'), 'the killed host to be gone', 10_000);
}

describe('the write lease on the guest host', { timeout: 120_000 }, () => {
  it('refuses writes once a lease runs out without renewal, and takes them again at the next renewal', async () => {
    const { guest, client } = await preparedGuest();
    // the first renewal of a host process only gives a token: the lease runs from the one that carries it
    const first = await guest.hub.lease('inst-1', { durationMs: LEASE_MS }, 5000);
    expect([first.held, first.readOnly]).toEqual([false, false]);
    const held = await guest.hub.lease('inst-1', { durationMs: LEASE_MS, token: first.token }, 5000);
    expect([held.held, held.readOnly]).toEqual([true, false]);
    // renewed for several lease durations: writable all along
    let last = held;
    for (const until = Date.now() + 2.5 * LEASE_MS; Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 3));
      last = await renew(guest, last);
      expect(last.held).toBe(true);
      expect(await writeOutcome(client)).toBe('written');
    }
    const lastRenewal = Date.now();
    await waitForOutcome(client, 'NOREPLICAS', LEASE_MS + 2000);
    expect(Date.now() - lastRenewal).toBeGreaterThan(LEASE_MS / 3);
    expect(await readFile(join(guest.dir, 'state', 'inst-1', 'write-lease'), 'utf8')).toBe('lapsed\n');
    // the lease runs from when the host issued the token a renewal carries: one issued more than a lease ago (a renewal
    // delayed in the network) extends nothing
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS));
    const stale = await guest.hub.lease('inst-1', { durationMs: LEASE_MS, token: last.token }, 5000);
    expect([stale.held, stale.readOnly]).toEqual([false, true]);
    expect(await writeOutcome(client)).toBe('NOREPLICAS');
    const renewed = await guest.hub.lease('inst-1', { durationMs: LEASE_MS, token: stale.token }, 5000);
    expect([renewed.held, renewed.readOnly]).toEqual([true, false]);
    expect(await writeOutcome(client)).toBe('written');
    // released (no longer a source): no lapse follows, however long
    await guest.hub.lease('inst-1', { release: true, restoreWrites: true }, 5000);
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 1000));
    expect(await writeOutcome(client)).toBe('written');
  });

  it('a host killed while it held the lease fences the datastore as it starts again, before it serves a call, until a renewal', async () => {
    const { guest, client } = await preparedGuest();
    await renew(guest, undefined);
    await killHost(guest);
    // nothing fences while the host is dead: the datastore still takes writes
    expect(await writeOutcome(client)).toBe('written');
    await guest.restartHost();
    // the host serves no call before its datastore refuses writes
    expect(await guest.call('status', [], 30_000)).toEqual({ ok: 'running' });
    expect(await writeOutcome(client)).toBe('NOREPLICAS');
    const renewed = await renew(guest, undefined);
    expect([renewed.held, renewed.readOnly]).toEqual([true, false]);
    expect(await writeOutcome(client)).toBe('written');
  });

  it('a host killed after a lapse fences the datastore again as it starts, even one made writable meanwhile', async () => {
    const { guest, client } = await preparedGuest();
    await renew(guest, undefined);
    await waitForOutcome(client, 'NOREPLICAS', LEASE_MS + 2000);
    await killHost(guest);
    // behind the host's back (an operator, a datastore restored from elsewhere): writable again
    const admin = guest.client();
    await admin.connect();
    await admin.auth('berth', guest.adminPassword);
    await admin.config('SET', 'min-replicas-to-write', '0');
    expect(await writeOutcome(client)).toBe('written');
    await guest.restartHost();
    expect(await guest.call('status', [], 30_000)).toEqual({ ok: 'running' });
    expect(await writeOutcome(client)).toBe('NOREPLICAS');
    await renew(guest, undefined);
    expect(await writeOutcome(client)).toBe('written');
  });

  it('a host whose manager has no make-read-only refuses a lease', async () => {
    const hub = await startHub({});
    cleanups.push(() => hub.close());
    const counter = await guestFixture('counter', hub.url);
    cleanups.push(() => counter.cleanup());
    runHost(counter.configPath, cleanups);
    await until(() => hub.hub.isConnected('inst-1'), 'the counter host to connect');
    const refused = await hub.hub.lease('inst-1', { durationMs: LEASE_MS }, 5000).catch((error: BerthError) => error.code);
    expect(refused).toBe('BERTH_ERR_OPERATION_UNSUPPORTED');
  });

  it('a lapse on a manager whose make-read-only fails stops the datastore; the next renewal starts it again', async () => {
    const hub = await startHub({});
    cleanups.push(() => hub.close());
    const fixture = await guestFixture('read-only-refused', hub.url);
    cleanups.push(() => fixture.cleanup());
    runHost(fixture.configPath, cleanups);
    await until(() => hub.hub.isConnected('inst-1'), 'the host to connect');
    const calls = () => readFile(join(fixture.volume, 'calls.log'), 'utf8').catch(() => '');
    const first = await hub.hub.lease('inst-1', { durationMs: LEASE_MS }, 5000);
    const held = await hub.hub.lease('inst-1', { durationMs: LEASE_MS, token: first.token }, 5000);
    expect(held.held).toBe(true);
    expect(await calls()).toBe('');
    let log = '';
    const deadline = Date.now() + LEASE_MS + 3000;
    while (!log.includes('stop-db') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      log = await calls();
    }
    expect(log).toBe('make-read-only true\nstop-db false\n');
    const stale = await hub.hub.lease('inst-1', { durationMs: LEASE_MS, token: held.token }, 5000);
    expect([stale.held, stale.readOnly]).toEqual([false, true]);
    const renewed = await hub.hub.lease('inst-1', { durationMs: LEASE_MS, token: stale.token }, 5000);
    expect([renewed.held, renewed.readOnly]).toEqual([true, false]);
    expect(await calls()).toBe('make-read-only true\nstop-db false\nstart-db\n');
  });
});

async function waitForOutcome(client: Redis, outcome: string, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  let seen = '';
  while (Date.now() < deadline) {
    seen = await writeOutcome(client);
    if (seen === outcome) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`writes still answer ${seen} ${withinMs} ms on; expected ${outcome}`);
}
