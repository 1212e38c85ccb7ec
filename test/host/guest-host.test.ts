import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { CastParams } from '../../host/rpc/protocol.js';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { guestFixture, runHost, startHub, until, type GuestFixture } from '../support/guest-host.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const db = (name: string) => ({ name, characterSet: undefined, collation: undefined });

async function effects(fixture: GuestFixture): Promise<string[]> {
  return (await readFile(`${fixture.volume}/effects.log`, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

describe('berth host against a real hub over WebSocket', () => {
  it('connects, answers calls through the sandbox and sends heartbeats with the status probe', async () => {
    const heartbeats: Array<CastParams<'guest.heartbeat'>> = [];
    const server = await startHub({ onHeartbeat: (_id, hb) => heartbeats.push(hb) });
    cleanups.push(() => server.close());
    const fixture = await guestFixture('counter', server.url, (c) => ((c.options as Record<string, unknown>).greeting = 'from-config'));
    cleanups.push(() => fixture.cleanup());
    const host = runHost(fixture.configPath, cleanups);
    await until(() => server.hub.isConnected('inst-1'), 'the host to connect');
    expect(server.hub.helloOf('inst-1')).toMatchObject({ sha256: fixture.sha256, manifest: { name: 'counter' } });

    expect(await server.hub.call('inst-1', 'create-databases', [[db('orders')]], 5000)).toEqual({ ok: undefined });
    // the option from the config reached the manager through wasi:config/store
    expect(await server.hub.call('inst-1', 'list-databases', [{ limit: undefined, marker: undefined, includeMarker: false }], 5000)).toMatchObject({
      ok: { items: [{ name: 'orders', characterSet: 'from-config' }] },
    });
    expect(await server.hub.call('inst-1', 'delete-user', [{ name: 'x', host: undefined }], 5000)).toEqual({ err: { tag: 'unsupported', val: 'delete-user' } });
    await until(() => heartbeats.filter((hb) => hb.status === 'running').length >= 2, 'two heartbeats saying running');
    // on a loaded machine a probe may take longer than half the interval: that heartbeat says so, and nothing else
    expect(heartbeats.filter((hb) => hb.status !== 'running').every((hb) => hb.status === 'unknown' && hb.detail === 'the status probe has not answered yet')).toBe(true);
  });

  it('survives a server restart mid-call: reconnects, the re-sent call runs once, queued casts arrive in order', async () => {
    const first = await startHub({});
    const fixture = await guestFixture('counter', first.url);
    cleanups.push(() => fixture.cleanup());
    const host = runHost(fixture.configPath, cleanups);
    await until(() => first.hub.isConnected('inst-1'), 'the host to connect');

    // a call that takes 1.5 s; the server dies while it runs
    const id = 'call-survives-restart';
    const lost = first.hub.call('inst-1', 'create-databases', [[db('slow-1500')]], 3000, id).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await first.close();
    expect(((await lost) as BerthError).code).toMatch(/BERTH_ERR_(RPC_DISCONNECTED|RPC_TIMEOUT|SERVER_STOPPING)/);

    // the host keeps working and queues heartbeats and progress events while the server is down
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const heartbeats: Array<CastParams<'guest.heartbeat'>> = [];
    const events: Array<CastParams<'guest.event'>> = [];
    const second = await startHub({ onHeartbeat: (_i, hb) => heartbeats.push(hb), onEvent: (_i, ev) => events.push(ev) }, first.port);
    cleanups.push(() => second.close());
    await until(() => second.hub.isConnected('inst-1'), 'the host to reconnect', 30_000);

    // the new server re-sends the same request id: answered from the record, not run again
    expect(await second.hub.call('inst-1', 'create-databases', [[db('slow-1500')]], 10_000, id)).toEqual({ ok: undefined });
    expect(await effects(fixture)).toEqual(['slow-1500']);

    await until(() => heartbeats.length >= 3, 'queued heartbeats');
    const downtime = heartbeats.filter((hb) => hb.sentAt < Date.now() - 200);
    expect(downtime.length).toBeGreaterThan(0);
    const seqs = [...heartbeats, ...events].sort((a, b) => a.sentAt - b.sentAt || a.seq - b.seq).map((c) => c.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(events.map((e) => (e.event as { val: { message: string } }).val.message)).toEqual(['created slow-1500']);
  });

  it('is refused with a wrong token and keeps trying without crashing', async () => {
    const refusals: string[] = [];
    const server = await startHub({ authenticate: () => false, onProtocolError: (_i, m) => refusals.push(m) });
    cleanups.push(() => server.close());
    const fixture = await guestFixture('counter', server.url);
    cleanups.push(() => fixture.cleanup());
    const host = runHost(fixture.configPath, cleanups);
    await until(() => host.stderr().includes('handshake failed'), 'a refused handshake');
    expect(server.hub.isConnected('inst-1')).toBe(false);
    expect(host.child.exitCode).toBeNull();
  });
});
