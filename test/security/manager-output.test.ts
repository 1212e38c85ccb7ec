// Findings 10 and 11 of issue 13: a hostile manager floods the host with log lines and
// progress events from one call. The host must bound both (per manager, a burst and a
// rate), account for what it dropped, and keep the heartbeats going.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type StartedTestServer } from '../support/server.js';
import { startHostileGuest, type HostileGuest } from './support/hostile-guest.js';

/** The guest config's defaults, which these tests rely on (host/config/guest-config.ts). */
const LOG = { burst: 1000, rate: 100, lineLimit: 4096 };
const EVENTS = { burst: 100, rate: 10 };

let setup: StartedTestServer;
let instanceId: string;
let host: HostileGuest['host'];
let guest: HostileGuest | undefined;
const received = { events: 0, heartbeats: [] as number[] };

interface LogLine {
  msg?: string;
  manager?: string;
  dropped?: number;
  coalesced?: number;
}
const lines = (): LogLine[] =>
  host
    .stderr()
    .split('\n')
    .flatMap((line) => {
      // the last line may still be arriving
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });

beforeAll(async () => {
  // the quick lane runs the flood: give the call room on a busy machine
  guest = await startHostileGuest({
    manager: 'flood', datastore: 'flood',
    callTimeoutS: 120,
    seen: { heartbeat: () => received.heartbeats.push(Date.now()), event: () => void received.events++ },
  });
  ({ setup, instanceId, host } = guest);
});
afterAll(() => guest?.cleanup());

/** Runs create-databases with one "database" (the flood's instruction); answers how long it took, in seconds. */
async function flood(name: string): Promise<number> {
  const startedAt = Date.now();
  const outcome = await setup.server.hub.call(instanceId, 'create-databases', [[{ name, characterSet: undefined, collation: undefined }]], 120_000);
  // create-databases answers ok with no value: `{}` on the wire
  expect(outcome).not.toHaveProperty('err');
  return (Date.now() - startedAt) / 1000;
}

describe('finding 10: log lines from one manager are rate-limited, cut to a length, and the drops counted', () => {
  it('logs a burst and then the rate of 100,000 lines, and says how many it dropped', async () => {
    const before = lines().length;
    const seconds = await flood('log-100000-100');
    // the dropped count is reported periodically: wait until every line is accounted for
    const accounted = () => {
      const since = lines().slice(before);
      const logged = since.filter((line) => line.manager !== undefined && line.msg?.startsWith('xxx')).length;
      const dropped = since.reduce((sum, line) => sum + (line.msg?.startsWith('manager log lines dropped') ? (line.dropped ?? 0) : 0), 0);
      return { logged, dropped };
    };
    const { logged } = await waitFor(async () => accounted(), (a) => a.logged + a.dropped === 100_000, 'every line logged or counted as dropped');
    expect(logged).toBeLessThanOrEqual(LOG.burst + LOG.rate * (seconds + 15));
  });

  it('cuts a line longer than the limit', async () => {
    const before = lines().length;
    await flood('log-3-1000000');
    const long = await waitFor(async () => lines().slice(before).filter((line) => line.msg?.startsWith('xxx')), (found) => found.length > 0, 'the long lines');
    for (const line of long) expect(line.msg!.length).toBeLessThanOrEqual(LOG.lineLimit + 100);
  });
});

describe('finding 11: events from one manager are coalesced and rate-limited; heartbeats keep going', () => {
  it('forwards a burst and then the rate of 300,000 progress events, counts the rest, and heartbeats arrive meanwhile', async () => {
    const before = lines().length;
    received.events = 0;
    const heartbeatsBefore = received.heartbeats.length;
    const seconds = await flood('progress-300000');
    const heartbeatsDuring = received.heartbeats.length - heartbeatsBefore;
    const accounted = () => {
      const coalesced = lines()
        .slice(before)
        .reduce((sum, line) => sum + (line.msg?.startsWith('manager events coalesced') ? (line.coalesced ?? 0) : 0), 0);
      return { forwarded: received.events, coalesced };
    };
    // 300,000 progress events and one status event
    const { forwarded } = await waitFor(async () => accounted(), (a) => a.forwarded + a.coalesced === 300_001, 'every event forwarded or counted as coalesced');
    expect(forwarded).toBeLessThanOrEqual(EVENTS.burst + EVENTS.rate * (seconds + 15));
    expect(heartbeatsDuring).toBeGreaterThan(0);
    expect((await setup.server.store.instances.getById(instanceId))!.status).toBe('ACTIVE');
  });
});
