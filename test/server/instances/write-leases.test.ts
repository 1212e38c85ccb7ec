import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LeaseKeeper, leaseTimings } from '../../../server/instances/write-leases.js';
import { serverConfigSchema } from '../../../server/config/server-config.js';
import { openStore } from '../../../server/store/kysely-store.js';
import type { Store } from '../../../server/store/store.js';
import { until } from '../../support/guest-host.js';
import { buildRedisManager, prepareRequest, requireRedisServer, startRedisGuest, type RedisGuest } from '../../support/redis-guest.js';
import { TcpProxy } from '../../support/tcp-proxy.js';

// The server's LeaseKeeper (server/instances/write-leases.ts) renewing a real source's lease: a real
// guest host and redis-server, a SQLite store saying inst-1 has a replica, and a TCP proxy between
// the host and the hub that the test can cut while clients still reach redis-server directly.
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeAll(async () => {
  requireRedisServer();
  await buildRedisManager();
});

const LEASE_MS = 1500;
const MARGIN_MS = 300;

const writeOutcome = (client: Redis) => client.set('probe', String(Date.now())).then(() => 'written', (error: Error) => error.message.split(' ')[0]!);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function leasedSource(): Promise<{ guest: RedisGuest; client: Redis; proxy: TcpProxy; store: Store; keeper: LeaseKeeper }> {
  let proxy: TcpProxy | undefined;
  const guest = await startRedisGuest(cleanups, {
    dialThrough: async (hubUrl) => {
      const url = new URL(hubUrl);
      proxy = await TcpProxy.start(Number(url.port));
      cleanups.push(() => proxy!.close());
      url.port = String(proxy.port);
      return url.toString();
    },
  });
  expect(await guest.call('prepare', [prepareRequest()])).toEqual({ ok: undefined });
  const store = await openStore(`sqlite:${join(guest.dir, 'berth.db')}`);
  cleanups.push(() => store.close());
  const record = { project: 'acme', datastore: 'redis', datastoreVersion: '7', status: 'ACTIVE' as const, tokenSha256: 'e'.repeat(64), securityRules: [], buildDeadline: new Date(Date.now() + 60_000) };
  await store.instances.create({ ...record, id: 'inst-1', name: 'source' });
  await store.instances.create({ ...record, id: 'inst-2', name: 'replica', replicaOf: 'inst-1' });
  const keeper = new LeaseKeeper({ store, hub: guest.hub, durationMs: LEASE_MS, renewEveryMs: LEASE_MS / 3, marginMs: MARGIN_MS });
  keeper.start();
  cleanups.push(async () => keeper.stop());
  const client = guest.client();
  await client.connect();
  return { guest, client, proxy: proxy!, store, keeper };
}

async function waitForOutcome(client: Redis, outcome: string, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  let seen = '';
  while (Date.now() < deadline) {
    seen = await writeOutcome(client);
    if (seen === outcome) return;
    await sleep(100);
  }
  throw new Error(`writes still answer ${seen} ${withinMs} ms on; expected ${outcome}`);
}

describe('the server keeps every replication source\'s write lease', { timeout: 180_000 }, () => {
  it('renews it while the guest is connected: writable over several durations, expiredAt moving only with acknowledged renewals', async () => {
    const { guest, client, store, keeper } = await leasedSource();
    await until(() => keeper.expiredAt('inst-1') !== undefined, 'a held lease', 10_000);
    expect(keeper.expiredAt('inst-2')).toBeUndefined();
    const seen: number[] = [];
    for (const end = Date.now() + 4 * LEASE_MS; Date.now() < end; await sleep(200)) {
      expect(await writeOutcome(client)).toBe('written');
      const expiredAt = keeper.expiredAt('inst-1')!;
      expect(expiredAt).toBeLessThanOrEqual(Date.now() + LEASE_MS + MARGIN_MS);
      seen.push(expiredAt);
    }
    expect(new Set(seen).size).toBeGreaterThan(3);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));

    // the host freezes: renewals go out but none is answered, so expiredAt stays where it was
    process.kill(guest.hostPid(), 'SIGSTOP');
    let frozenAt: number;
    try {
      await sleep(LEASE_MS / 3);
      frozenAt = keeper.expiredAt('inst-1')!;
      await sleep(2 * LEASE_MS);
      expect(keeper.expiredAt('inst-1')).toBe(frozenAt);
    } finally {
      process.kill(guest.hostPid(), 'SIGCONT');
    }
    await until(() => keeper.expiredAt('inst-1')! > frozenAt, 'expiredAt to move again', 10_000);
    await waitForOutcome(client, 'written', 10_000);
    expect((await store.instances.getById('inst-1'))?.status).toBe('ACTIVE');

    // no longer a source: released, writable for good, nothing on record in the host's state directory
    await store.instances.update('inst-2', { replicaOf: null });
    await until(() => keeper.expiredAt('inst-1') === undefined, 'the lease released', 10_000);
    expect(existsSync(join(guest.dir, 'state', 'inst-1', 'write-lease'))).toBe(false);
    await sleep(LEASE_MS + 1000);
    expect(await writeOutcome(client)).toBe('written');
  });

  it('a source cut off from the server but not from its clients refuses their writes within the lease, by expiredAt at the latest', async () => {
    const { client, proxy, store, keeper } = await leasedSource();
    await until(() => keeper.expiredAt('inst-1') !== undefined, 'a held lease', 10_000);
    await sleep(LEASE_MS);
    expect(await writeOutcome(client)).toBe('written');
    const cutAt = Date.now();
    proxy.refuse();
    await waitForOutcome(client, 'NOREPLICAS', LEASE_MS + 2000);
    const expiredAt = keeper.expiredAt('inst-1')!;
    expect(expiredAt).toBeLessThanOrEqual(cutAt + LEASE_MS + MARGIN_MS);
    await sleep(Math.max(0, expiredAt - Date.now()) + 100);
    // what failover relies on: past expiredAt, the old source takes no write, and the keeper changed no status
    for (let i = 0; i < 5; i++) expect(await writeOutcome(client)).toBe('NOREPLICAS');
    expect(keeper.expiredAt('inst-1')).toBe(expiredAt);
    expect((await store.instances.getById('inst-1'))?.status).toBe('ACTIVE');
    // the link back: the host reconnects, the next renewals lift the lease's read-only
    proxy.restore();
    await waitForOutcome(client, 'written', 40_000);
    expect(keeper.expiredAt('inst-1')).toBeGreaterThan(expiredAt);
  });

  it('forget stops the renewals ahead of a failover: past expiredAt the source refuses writes; resume renews again', async () => {
    const { client, keeper } = await leasedSource();
    await until(() => keeper.expiredAt('inst-1') !== undefined, 'a held lease', 10_000);
    await sleep(LEASE_MS / 2);
    keeper.forget('inst-1');
    const expiredAt = keeper.expiredAt('inst-1')!;
    await sleep(Math.max(0, expiredAt - Date.now()) + 100);
    expect(await writeOutcome(client)).toBe('NOREPLICAS');
    expect(keeper.expiredAt('inst-1')).toBe(expiredAt);
    keeper.resume('inst-1');
    await waitForOutcome(client, 'written', 10_000);
    expect(keeper.expiredAt('inst-1')).toBeGreaterThan(expiredAt);
  });

  it('a fenced source, still a source on record (a failover part-way), is neither renewed nor released: it stays read-only, its lapse on record', async () => {
    const { guest, client, store, keeper } = await leasedSource();
    await until(() => keeper.expiredAt('inst-1') !== undefined, 'a held lease', 10_000);
    await store.instances.update('inst-1', { status: 'ERROR', fault: 'BERTH_ERR_REPLICA_FENCED: automatic failover' });
    await keeper.pass();
    const expiredAt = keeper.expiredAt('inst-1')!;
    await sleep(Math.max(0, expiredAt - Date.now()) + LEASE_MS);
    expect(await writeOutcome(client)).toBe('NOREPLICAS');
    expect(keeper.expiredAt('inst-1')).toBe(expiredAt);
    // the host keeps the lease on record (a restart fences it again); a release would have removed it
    expect(existsSync(join(guest.dir, 'state', 'inst-1', 'write-lease'))).toBe(true);
  });

  it('a server started again releases, on its connection, a guest that holds a lease but is a source no more', async () => {
    const { guest, client, store, keeper } = await leasedSource();
    await until(() => keeper.expiredAt('inst-1') !== undefined, 'a held lease', 10_000);
    const record = join(guest.dir, 'state', 'inst-1', 'write-lease');
    expect(existsSync(record)).toBe(true);
    // the server stops; meanwhile the replica was detached; a new server (a new keeper, knowing no lease) starts
    keeper.stop();
    await store.instances.update('inst-2', { replicaOf: null });
    const restarted = new LeaseKeeper({ store, hub: guest.hub, durationMs: LEASE_MS, renewEveryMs: LEASE_MS / 3, marginMs: MARGIN_MS });
    cleanups.push(async () => restarted.stop());
    restarted.guestConnected('inst-1');
    restarted.start();
    await until(() => !existsSync(record), 'the lease released', 10_000);
    await sleep(LEASE_MS + 1000);
    expect(await writeOutcome(client)).toBe('written');
    expect(restarted.expiredAt('inst-1')).toBeUndefined();
  });

  it('derives the lease from heartbeat_expiry and refuses one that is not shorter', () => {
    const timeouts = serverConfigSchema.parse({}).timeouts;
    expect(leaseTimings(timeouts)).toEqual({ durationMs: 45_000, renewEveryMs: 15_000, marginMs: 15_000 });
    expect(leaseTimings({ ...timeouts, write_lease: 20 }).durationMs).toBe(20_000);
    const refused = serverConfigSchema.safeParse({ timeouts: { heartbeat_expiry: 30, write_lease: 30 } });
    expect(refused.success ? [] : refused.error.issues.map((issue) => issue.path.join('.'))).toEqual(['timeouts.write_lease']);
    expect(serverConfigSchema.safeParse({ timeouts: { write_lease: 0.05 } }).success).toBe(false);
  });
});
