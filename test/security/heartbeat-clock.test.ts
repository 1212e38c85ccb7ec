// Finding 13 of issue 13: a compromised guest, speaking the real protocol with its own
// instance token, must not be able to freeze its instance's status with what it sends:
// a heartbeat (or event) dated far ahead, a huge detail, or a store poisoned before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closed, hello, openGuestSocket } from '../reliability/support/guest-socket.js';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECTS, createInstance, runGuest, type CreatedInstance, type ReliabilityServer } from '../reliability/support/reliability-server.js';
import { apiRequest, startTestServer, waitFor } from '../support/server.js';

const END_OF_TIME = 8.64e15;
/** Longer than the expiry the server runs with: a status frozen by the attack would show by then. */
const EXPIRY_S = 2;

let server: ReliabilityServer;
let instance: CreatedInstance;
let host: Awaited<ReturnType<typeof runGuest>>;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  // the reliability tests' server (external provisioner, the counter datastore) with a short expiry, so that
  // heartbeats ignored after an attack would turn the instance ERROR within the test
  const dir = await mkdtemp(join(tmpdir(), 'berth-sec-heartbeat-'));
  const volume = join(dir, 'volume');
  await mkdir(volume, { recursive: true });
  const setup = await startTestServer({
    name: 'sec-heartbeat',
    dataDir: dir,
    provisioner: 'external',
    projects: { ...PROJECTS },
    managers: { counter: 'counter' },
    timeouts: { report_interval: 0.2, quick_call: 10, heartbeat_expiry: EXPIRY_S },
    datastores: [{ name: 'counter', server: { usage_timeout: 600 }, guest: { mount_point: volume }, default_version: '1', versions: [{ name: '1', manager: 'counter' }] }],
  });
  server = { ...setup, volume, api: (project, method, path, body) => apiRequest(setup.server.url, PROJECTS[project], method, `/v1.0/${project}${path}`, body) };
  instance = await createInstance(server, 'acme', 'victim');
  host = await runGuest(server, 'acme', instance, cleanups);
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.cleanup();
});

const record = () => server.server.store.instances.getById(instance.id);

/** Connects as the instance (the real host is pushed off and dials back), sends `casts`, and leaves. */
async function castAsGuest(casts: Array<{ method: string; params: unknown }>): Promise<void> {
  const socket = await openGuestSocket(server.server.guestUrl);
  expect((await hello(socket, instance.id, instance.token)).result).toBeDefined();
  for (const cast of casts) socket.socket.send(JSON.stringify({ jsonrpc: '2.0', ...cast }));
  // the real host takes the instance back (4409 replaces this connection)
  await closed(socket, 30_000);
}

/** Waits until the real host's heartbeats are recorded again, received after `after`. */
async function heartbeatsRecordedAfter(after: number): Promise<void> {
  await waitFor(record, (r) => (r?.lastHeartbeatAt?.getTime() ?? 0) > after + 2 * EXPIRY_S * 1000, 'real heartbeats to be recorded after the attack', 60_000);
}

describe('finding 13: guest-supplied times, sequence numbers and text cannot freeze an instance', () => {
  it('refuses a heartbeat dated at the end of time: later real heartbeats still count and the instance stays ACTIVE', async () => {
    const attackAt = Date.now();
    await castAsGuest([{ method: 'guest.heartbeat', params: { seq: Number.MAX_SAFE_INTEGER, sentAt: END_OF_TIME, status: 'running' } }]);
    await heartbeatsRecordedAfter(attackAt);
    const after = await record();
    expect(after!.lastHeartbeatSentAt!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(after!.status).toBe('ACTIVE');
  });

  it('refuses an event dated at the end of time: it does not hold up the heartbeats either', async () => {
    const attackAt = Date.now();
    await castAsGuest([{ method: 'guest.event', params: { seq: Number.MAX_SAFE_INTEGER, sentAt: END_OF_TIME, event: { tag: 'status', val: 'running' } } }]);
    await heartbeatsRecordedAfter(attackAt);
    expect((await record())!.status).toBe('ACTIVE');
  });

  it('a heartbeat a little ahead of the server clock cannot hold back the ones after it', async () => {
    const attackAt = Date.now();
    // within any sane skew bound, with the largest sequence number
    await castAsGuest([{ method: 'guest.heartbeat', params: { seq: Number.MAX_SAFE_INTEGER, sentAt: Date.now() + 5_000, status: 'running' } }]);
    await heartbeatsRecordedAfter(attackAt);
    expect((await record())!.status).toBe('ACTIVE');
  });

  it('keeps a fault reported by the guest short, and the instance recovers when the guest reports running', async () => {
    // the real host steps away, so that nothing overtakes the crash report
    host.child.kill('SIGTERM');
    await host.exited;
    await waitFor(async () => server.server.hub.isConnected(instance.id), (connected) => !connected, 'the host to leave');
    const socket = await openGuestSocket(server.server.guestUrl);
    expect((await hello(socket, instance.id, instance.token)).result).toBeDefined();
    socket.socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'guest.heartbeat', params: { seq: 0, sentAt: Date.now(), status: 'crashed', detail: 'd'.repeat(1_000_000) } }));
    const crashed = await waitFor(record, (r) => r?.status === 'ERROR', 'the reported crash');
    expect(crashed!.fault!.length).toBeLessThanOrEqual(2048);
    socket.socket.close();
    host = await runGuest(server, 'acme', instance, cleanups);
    expect((await record())!.status).toBe('ACTIVE');
  });

  it('recovers an instance whose store holds a heartbeat from the end of time (written by an older server)', async () => {
    await server.server.store.instances.update(instance.id, { lastHeartbeatSentAt: new Date(END_OF_TIME), lastHeartbeatSeq: Number.MAX_SAFE_INTEGER });
    const poisonedAt = Date.now();
    await heartbeatsRecordedAfter(poisonedAt);
    const after = await record();
    expect(after!.lastHeartbeatSentAt!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(after!.status).toBe('ACTIVE');
  });
});
