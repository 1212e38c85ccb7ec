import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../server/store/kysely-store.js';
import type { Store } from '../../../server/store/store.js';
import { BUILD_TIMEOUT, StatusMonitor } from '../../../server/instances/status-monitor.js';

let dir: string;
let store: Store;
let monitor: StatusMonitor;
const T0 = Date.parse('2026-11-24T12:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const beat = (seq: number, seconds: number, status: 'running' | 'shutdown' | 'crashed' = 'running') => ({ seq, sentAt: T0 + seconds * 1000, status });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-monitor-'));
  store = await openStore(`sqlite:${join(dir, 'berth.db')}`);
  monitor = new StatusMonitor(store, { heartbeatExpiryMs: 90_000, checkEveryMs: 1000 });
  await store.instances.create({
    id: 'i-1', project: 'acme', name: 'db', datastore: 'postgresql', datastoreVersion: '15', status: 'BUILD',
    tokenSha256: 'd'.repeat(64), securityRules: [], buildDeadline: at(400),
  });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const status = async () => (await store.instances.getById('i-1'))!;

describe('instance status from heartbeats', () => {
  it('goes BUILD -> ACTIVE when the guest reports RUNNING', async () => {
    await monitor.onHeartbeat('i-1', beat(0, 10), at(10));
    expect(await status()).toMatchObject({ status: 'ACTIVE', serviceStatus: 'RUNNING', fault: null });
  });

  it('goes BUILD -> ERROR when usage_timeout passes first, and stays there', async () => {
    await monitor.check(at(399));
    expect((await status()).status).toBe('BUILD');
    await monitor.check(at(401));
    expect(await status()).toMatchObject({ status: 'ERROR', fault: expect.stringContaining(BUILD_TIMEOUT) });
    await monitor.onHeartbeat('i-1', beat(1, 402), at(402));
    expect((await status()).status).toBe('ERROR');
  });

  it('shows ERROR when heartbeats stop past the expiry and recovers when they return', async () => {
    await monitor.onHeartbeat('i-1', beat(0, 10), at(10));
    await monitor.check(at(99));
    expect((await status()).status).toBe('ACTIVE');
    await monitor.check(at(101));
    expect(await status()).toMatchObject({ status: 'ERROR', fault: expect.stringContaining('heartbeat expired') });
    await monitor.onHeartbeat('i-1', beat(1, 200), at(200));
    expect(await status()).toMatchObject({ status: 'ACTIVE', fault: null });
  });

  it('drops a heartbeat older than the last one recorded', async () => {
    await monitor.onHeartbeat('i-1', beat(5, 20, 'shutdown'), at(20));
    await monitor.onHeartbeat('i-1', beat(4, 19, 'running'), at(21));
    expect(await status()).toMatchObject({ status: 'BUILD', serviceStatus: 'SHUTDOWN' });
    await monitor.onHeartbeat('i-1', beat(6, 22, 'running'), at(22));
    expect((await status()).status).toBe('ACTIVE');
    await monitor.onHeartbeat('i-1', beat(7, 23, 'crashed'), at(23));
    expect(await status()).toMatchObject({ status: 'ERROR', fault: 'guest reports CRASHED' });
  });
});

describe('BUILD and prepare', () => {
  it('stays BUILD while the prepare task has not succeeded, even when the datastore already runs', async () => {
    await store.tasks.create({ id: 't-prepare', instanceId: 'i-1', operation: 'prepare', args: '[]', deadlineAt: at(400) });
    await monitor.onHeartbeat('i-1', beat(0, 10), at(10));
    expect((await status()).status).toBe('BUILD');
    await store.tasks.update('t-prepare', 'running');
    await monitor.onHeartbeat('i-1', beat(1, 11), at(11));
    expect((await status()).status).toBe('BUILD');
    await store.tasks.update('t-prepare', 'succeeded', '{}');
    await monitor.onHeartbeat('i-1', beat(2, 12), at(12));
    expect((await status()).status).toBe('ACTIVE');
  });
});

describe('heartbeats that arrive together', () => {
  it('ends on the newer one: a CRASHED sent mid-restart and the RUNNING after it, handled at once, leave ACTIVE', async () => {
    await monitor.onHeartbeat('i-1', beat(0, 10), at(10));
    // the hub does not wait for one heartbeat's handling before the next: both read ACTIVE unless serialized
    await Promise.all([monitor.onHeartbeat('i-1', beat(1, 11, 'crashed'), at(11)), monitor.onHeartbeat('i-1', beat(2, 12, 'running'), at(12))]);
    expect(await status()).toMatchObject({ status: 'ACTIVE', serviceStatus: 'RUNNING', fault: null });
  });
});

describe('REBOOT while a restart runs', () => {
  beforeEach(async () => {
    await monitor.onHeartbeat('i-1', beat(0, 10), at(10));
    await monitor.onRestartStarted('i-1');
  });

  it('shows REBOOT whatever the datastore reports on its way down and up, then ACTIVE when the restart succeeded', async () => {
    expect((await status()).status).toBe('REBOOT');
    for (const [seq, state] of [[1, 'shutdown'], [2, 'crashed'], [3, 'running']] as const) {
      await monitor.onHeartbeat('i-1', beat(seq, 10 + seq, state), at(10 + seq));
      expect((await status()).status).toBe('REBOOT');
    }
    await monitor.onRestartEnded('i-1', undefined);
    expect(await status()).toMatchObject({ status: 'ACTIVE', fault: null });
  });

  it('shows ERROR with the reason when the restart failed', async () => {
    await monitor.onRestartEnded('i-1', 'pg_ctl exited 1');
    expect(await status()).toMatchObject({ status: 'ERROR', fault: 'restart: pg_ctl exited 1' });
  });

  it('leaves a deleted instance alone', async () => {
    await store.instances.update('i-1', { status: 'DELETED' });
    await monitor.onRestartEnded('i-1', undefined);
    expect((await status()).status).toBe('DELETED');
  });
});

describe('UPGRADE while an upgrade runs', () => {
  it('keeps UPGRADE whatever the guest reports while its host restarts, and does not let a restart turn it to REBOOT', async () => {
    await monitor.onHeartbeat('i-1', beat(0, 10), at(10));
    const upgrade = { from: { version: '15', sha256: 'a'.repeat(64) }, to: { version: '16', sha256: 'b'.repeat(64) }, phase: 'swapping' as const, startedAt: T0 };
    await store.instances.update('i-1', { status: 'UPGRADE', upgrade });
    for (const [seq, state] of [[1, 'shutdown'], [2, 'crashed'], [3, 'running']] as const) {
      await monitor.onHeartbeat('i-1', beat(seq, 10 + seq, state), at(10 + seq));
      expect((await status()).status).toBe('UPGRADE');
    }
    await monitor.onRestartStarted('i-1');
    await monitor.check(at(1000));
    expect(await status()).toMatchObject({ status: 'UPGRADE', upgrade, fault: null });
  });
});
