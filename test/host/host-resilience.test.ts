import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { CastParams } from '../../host/rpc/protocol.js';
import { RPC_ERRORS, SUBPROTOCOL } from '../../host/rpc/protocol.js';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { guestFixture, runHost, startHub, until } from '../support/guest-host.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function hostFor(url: string) {
  const fixture = await guestFixture('misbehaving', url, (config) => {
    config.options = {};
    config.grants = {};
  });
  cleanups.push(() => fixture.cleanup());
  const host = runHost(fixture.configPath, cleanups);
  return host;
}

const paging = (marker?: string) => ({ limit: undefined, marker, includeMarker: false });

describe('a guest host with a misbehaving manager', () => {
  it('reports a runaway call by name, keeps heartbeating through it, and answers the next call', async () => {
    const heartbeats: Array<CastParams<'guest.heartbeat'>> = [];
    const server = await startHub({ onHeartbeat: (_id, hb) => heartbeats.push(hb) });
    cleanups.push(() => server.close());
    await hostFor(server.url);
    await until(() => server.hub.isConnected('inst-1'), 'the host to connect');

    const started = Date.now();
    const error = await server.hub.call('inst-1', 'list-databases', [paging('loop')], 1500).catch((e: unknown) => e);
    expect((error as BerthError).code).toBe('BERTH_ERR_CALL_TIMEOUT');
    // the host names the deadline the server sent and the server's setting behind it; details and fix cross the channel
    expect((error as BerthError).details).toMatchObject({ operation: 'list-databases', setting: 'timeouts.quick_call' });
    expect((error as BerthError).details?.deadlineMs).toBeLessThanOrEqual(1500);
    expect((error as BerthError).fix).toContain('timeouts.quick_call');
    // heartbeats kept coming while the manager spun (report_interval is 0.2 s)
    expect(heartbeats.filter((hb) => hb.sentAt >= started && hb.sentAt <= started + 1500).length).toBeGreaterThan(0);

    const trapped = await server.hub.call('inst-1', 'list-databases', [paging('trap')], 20_000).catch((e: unknown) => e);
    expect((trapped as BerthError).code).toBe('BERTH_ERR_CALL_TRAPPED');
    expect(await server.hub.call('inst-1', 'list-databases', [paging()], 20_000)).toMatchObject({ ok: { items: [{ name: 'call-1' }] } });
    const count = heartbeats.length;
    await until(() => heartbeats.length > count + 1, 'heartbeats after the trap');
    expect(server.hub.isConnected('inst-1')).toBe(true);
  });
});

describe('a guest host facing a hostile server', () => {
  it('answers malformed, oversized, unknown and binary frames with JSON-RPC errors and stays connected', async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http, handleProtocols: () => SUBPROTOCOL });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      wss.clients.forEach((client) => client.terminate());
      await new Promise((resolve) => wss.close(resolve));
      await new Promise((resolve) => http.close(resolve));
    });
    const frames: Array<Record<string, any>> = [];
    let socket: WebSocket | undefined;
    wss.on('connection', (ws) => {
      socket = ws;
      ws.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as Record<string, any>;
        if (frame.method === 'guest.hello') ws.send(JSON.stringify({ jsonrpc: '2.0', id: frame.id, result: {} }));
        else frames.push(frame);
      });
    });
    await hostFor(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`);
    await until(() => socket !== undefined, 'the host to connect');
    const answer = async (id: string | null) => {
      await until(() => frames.some((f) => f.id === id && ('result' in f || 'error' in f)), `an answer to ${id}`);
      const index = frames.findIndex((f) => f.id === id && ('result' in f || 'error' in f));
      return frames.splice(index, 1)[0]!;
    };

    socket!.send('{"jsonrpc":"2.0","id":"a",');
    expect((await answer(null)).error.code).toBe(RPC_ERRORS.PARSE_ERROR);
    socket!.send(JSON.stringify({ jsonrpc: '2.0', id: 'b', method: 'guest.shutdown_everything' }));
    expect((await answer('b')).error.code).toBe(RPC_ERRORS.METHOD_NOT_FOUND);
    socket!.send(JSON.stringify({ jsonrpc: '2.0', id: 'c', method: 'guest.call', params: { operation: 'status', args: {}, deadlineMs: -1 } }));
    expect((await answer('c')).error.code).toBe(RPC_ERRORS.INVALID_PARAMS);
    socket!.send(JSON.stringify({ jsonrpc: '2.0', id: 'd', method: 'guest.ping', params: { pad: 'x'.repeat(9 * 1024 * 1024) } }));
    expect((await answer(null)).error.message).toContain('exceeds');
    socket!.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await answer(null)).error.message).toContain('binary');

    socket!.send(JSON.stringify({ jsonrpc: '2.0', id: 'e', method: 'guest.call', params: { operation: 'status', args: [], deadlineMs: 20_000 } }));
    expect((await answer('e')).result).toEqual({ ok: 'running' });
    socket!.send(JSON.stringify({ jsonrpc: '2.0', id: 'f', method: 'guest.ping' }));
    expect((await answer('f')).result).toEqual({ pong: true });
  });
});
