// Finding 9 of issue 13: a hostile manager answers with tens of MiB. Before the fix the host
// sent the answer as one frame the server refuses (or a socket past its payload limit), so the
// call was never answered and timed out, and the host kept the last 1000 answers in memory.
// Now the answer is measured in the sandbox's thread and refused there with a stable code; the
// host never holds it, answers the next call, and keeps its heartbeats.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type StartedTestServer } from '../support/server.js';
import { startHostileGuest, type HostileGuest } from './support/hostile-guest.js';

const MIB = 1024 * 1024;
/** Well past any answer the host should wait for: a refused answer comes long before. */
const DEADLINE_MS = 60_000;

let setup: StartedTestServer;
let instanceId: string;
let host: HostileGuest['host'];
let guest: HostileGuest | undefined;
const heartbeats: number[] = [];

beforeAll(async () => {
  // building and refusing the answer is quick, but not on a machine this busy: no deadline in the way
  guest = await startHostileGuest({ manager: 'big-results', datastore: 'big',  callTimeoutS: DEADLINE_MS / 1000, seen: { heartbeat: () => heartbeats.push(Date.now()) } });
  ({ setup, instanceId, host } = guest);
});
afterAll(() => guest?.cleanup());

const listDatabases = (marker: string) =>
  setup.server.hub.call(instanceId, 'list-databases', [{ limit: undefined, marker, includeMarker: false }], DEADLINE_MS);

async function codeOf(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

/** The host process's resident memory, bytes (its worker threads included). */
async function hostRss(): Promise<number> {
  const status = await readFile(`/proc/${host.child.pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
}

async function stillHealthy(): Promise<void> {
  await expect(listDatabases('small')).resolves.toEqual({ ok: { items: [{ name: 'small' }] } });
  const before = heartbeats.length;
  await waitFor(async () => heartbeats.length, (count) => count >= before + 2, 'two more heartbeats');
  expect((await setup.server.store.instances.getById(instanceId))!.status).toBe('ACTIVE');
}

describe('finding 9: answers and arguments are bounded in bytes', () => {
  it('refuses a 64 MiB answer with BERTH_ERR_PAYLOAD_TOO_LARGE, not a timeout, and answers the next call', async () => {
    expect(await codeOf(listDatabases('name-64'))).toBe('BERTH_ERR_PAYLOAD_TOO_LARGE');
    await stillHealthy();
  });

  it('refuses an answer made of many small parts (500,000 databases) the same way', async () => {
    expect(await codeOf(listDatabases('items-500000'))).toBe('BERTH_ERR_PAYLOAD_TOO_LARGE');
    await stillHealthy();
  });

  it('refuses a 64 MiB error the same way', async () => {
    expect(await codeOf(listDatabases('error-64'))).toBe('BERTH_ERR_PAYLOAD_TOO_LARGE');
    await stillHealthy();
  });

  it('keeps its heartbeats going while the manager spends 2 s on a 64 MiB answer', async () => {
    const before = heartbeats.length;
    expect(await codeOf(listDatabases('name-64-after-2000'))).toBe('BERTH_ERR_PAYLOAD_TOO_LARGE');
    // ten periods of 0.2 s: the host's thread is free while the sandbox's builds and measures
    expect(heartbeats.length - before).toBeGreaterThan(0);
    await stillHealthy();
  });

  it('refuses arguments larger than the limit (6 MiB, within a frame) before the manager sees them', async () => {
    const huge = [[{ name: 'x'.repeat(6 * MIB), characterSet: undefined, collation: undefined }]];
    expect(await codeOf(setup.server.hub.call(instanceId, 'create-databases', huge, DEADLINE_MS))).toBe('BERTH_ERR_PAYLOAD_TOO_LARGE');
    await stillHealthy();
  });

  it('keeps none of the refused answers: ten of 64 MiB leave the host about as large as before', async () => {
    const before = await hostRss();
    for (let i = 0; i < 10; i++) expect(await codeOf(listDatabases('name-64'))).toBe('BERTH_ERR_PAYLOAD_TOO_LARGE');
    await stillHealthy();
    // kept, they would be 640 MiB (more as JSON); the host's own footprint moves by tens of MiB
    expect((await hostRss()) - before).toBeLessThan(256 * MIB);
  });
});
