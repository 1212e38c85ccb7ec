import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { guestFixture, runHost, startHub, until, type GuestFixture } from '../support/guest-host.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const db = (name: string) => ({ name, characterSet: undefined, collation: undefined });

async function effects(fixture: GuestFixture): Promise<string[]> {
  return (await readFile(`${fixture.volume}/effects.log`, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

describe('a guest host killed with -9 and started again (its call journal)', () => {
  it('answers a re-sent finished call from the record, and refuses to re-run one it was in the middle of', async () => {
    const server = await startHub({});
    cleanups.push(() => server.close());
    const fixture = await guestFixture('counter', server.url);
    cleanups.push(() => fixture.cleanup());

    const first = runHost(fixture.configPath, cleanups);
    await until(() => server.hub.isConnected('inst-1'), 'the host to connect');
    expect(await server.hub.call('inst-1', 'create-databases', [[db('done-before')]], 10_000, 'call-finished')).toEqual({ ok: undefined });
    const interrupted = server.hub.call('inst-1', 'create-databases', [[db('slow-3000')]], 30_000, 'call-interrupted').catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 500));
    first.child.kill('SIGKILL');
    await first.exited;

    runHost(fixture.configPath, cleanups);
    // the hub re-sends the call that was in flight once the new host is there
    expect(await interrupted).toMatchObject({ code: 'BERTH_ERR_CALL_INTERRUPTED' });
    // the server re-sending a call it already had the answer for gets the same answer, not a second run
    expect(await server.hub.call('inst-1', 'create-databases', [[db('done-before')]], 10_000, 'call-finished')).toEqual({ ok: undefined });
    expect(await effects(fixture)).toEqual(['done-before']);
    // and the host carries on: a new call runs
    expect(await server.hub.call('inst-1', 'create-databases', [[db('after')]], 10_000)).toEqual({ ok: undefined });
    expect(await effects(fixture)).toEqual(['done-before', 'after']);
  });
});
