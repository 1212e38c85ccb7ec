import { describe, expect, it } from 'vitest';
import { RpcPeer } from '../../../host/rpc/peer.js';
import { memoryTransportPair, type Transport } from '../../../host/rpc/transport.js';
import { RPC_ERRORS } from '../../../host/rpc/protocol.js';
import { BerthError } from '../../../datastores/errors/berth-error.js';

/** A raw client on one end of the pair, and a peer serving guest.ping / guest.call on the other. */
function setup(maxFrameBytes?: number) {
  const [raw, served] = memoryTransportPair();
  const received: unknown[] = [];
  const protocolErrors: string[] = [];
  const peer = new RpcPeer(served, {
    maxFrameBytes,
    handlers: {
      'guest.ping': async () => ({ pong: true as const }),
      'guest.call': async (params) => ({ ok: { echoed: params.args, big: 2n ** 60n, bytes: Uint8Array.of(1, 2, 3) } }),
    },
    onProtocolError: (message) => protocolErrors.push(message),
  });
  raw.onMessage((text) => received.push(JSON.parse(text!)));
  const next = async () => {
    for (let i = 0; i < 50 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 2));
    return received.shift() as { id?: unknown; error?: { code: number; message: string }; result?: unknown };
  };
  return { raw, peer, next, protocolErrors };
}

const send = (raw: Transport, frame: unknown) => raw.send(typeof frame === 'string' ? frame : JSON.stringify(frame));

describe('the JSON-RPC peer', () => {
  it.each([
    ['text that is not JSON', '{"jsonrpc": "2.0", "id": ', RPC_ERRORS.PARSE_ERROR],
    ['a JSON array (batch)', [{ jsonrpc: '2.0', id: 1, method: 'guest.ping' }], RPC_ERRORS.INVALID_REQUEST],
    ['a JSON number', 42, RPC_ERRORS.INVALID_REQUEST],
    ['a request without jsonrpc', { id: 1, method: 'guest.ping' }, RPC_ERRORS.INVALID_REQUEST],
    ['a request with an object id', { jsonrpc: '2.0', id: { a: 1 }, method: 'guest.ping' }, RPC_ERRORS.INVALID_REQUEST],
    ['an unknown method', { jsonrpc: '2.0', id: 7, method: 'guest.format_disk' }, RPC_ERRORS.METHOD_NOT_FOUND],
    ['a method this side does not serve', { jsonrpc: '2.0', id: 8, method: 'guest.hello', params: {} }, RPC_ERRORS.METHOD_NOT_FOUND],
    ['params of the wrong type', { jsonrpc: '2.0', id: 9, method: 'guest.call', params: { operation: 'status', args: 'x', deadlineMs: 5 } }, RPC_ERRORS.INVALID_PARAMS],
    ['an operation outside the contract', { jsonrpc: '2.0', id: 10, method: 'guest.call', params: { operation: 'rm-rf', args: [], deadlineMs: 5 } }, RPC_ERRORS.INVALID_PARAMS],
    ['a frame with neither method nor result', { jsonrpc: '2.0', id: 11 }, RPC_ERRORS.INVALID_REQUEST],
    // zod's length checks throw on an object whose `length` cannot become a number
    ['an id whose length is an object', { jsonrpc: '2.0', id: { length: { toString: 0 } }, method: 'guest.ping' }, RPC_ERRORS.INVALID_REQUEST],
    ['a method whose length is an object', { jsonrpc: '2.0', id: 12, method: { length: { toString: 0 } } }, RPC_ERRORS.INVALID_REQUEST],
    ['params whose strings are such objects', { jsonrpc: '2.0', id: 13, method: 'guest.call', params: { operation: { length: { toString: 0 } }, args: { length: { toString: 0 } }, deadlineMs: 5 } }, RPC_ERRORS.INVALID_PARAMS],
    ['a neither-nor frame with such an id', { jsonrpc: '2.0', id: { length: { valueOf: 0, toString: 0 } } }, RPC_ERRORS.INVALID_REQUEST],
  ])('answers %s with an error and keeps serving', async (_label, frame, code) => {
    const { raw, next } = setup();
    send(raw, frame);
    const answer = await next();
    expect(answer.error?.code).toBe(code);
    send(raw, { jsonrpc: '2.0', id: 'after', method: 'guest.ping' });
    expect(await next()).toEqual({ jsonrpc: '2.0', id: 'after', result: { pong: true } });
  });

  it('refuses an oversized frame without parsing it and stays open', async () => {
    const { raw, next, peer } = setup(1024);
    send(raw, { jsonrpc: '2.0', id: 1, method: 'guest.ping', params: { pad: 'x'.repeat(5000) } });
    const answer = await next();
    expect(answer.error?.code).toBe(RPC_ERRORS.INVALID_REQUEST);
    expect(answer.error?.message).toContain('exceeds the 1024-byte limit');
    expect(peer.isOpen).toBe(true);
  });

  it('carries bigint and bytes across JSON', async () => {
    const [a, b] = memoryTransportPair();
    new RpcPeer(b, { handlers: { 'guest.call': async (params) => ({ ok: { args: params.args } }) } });
    const client = new RpcPeer(a);
    const result = await client.request('guest.call', { operation: 'guest-log-read', args: ['log', 2n ** 63n - 1n, Uint8Array.of(0, 255)], deadlineMs: 100 }, 1000, 'x1');
    expect(result).toEqual({ ok: { args: ['log', 2n ** 63n - 1n, Uint8Array.of(0, 255)] } });
  });

  it('fails pending requests with a catalogue error when the connection closes', async () => {
    const [a, b] = memoryTransportPair();
    new RpcPeer(b, { handlers: { 'guest.call': () => new Promise(() => undefined) } });
    const client = new RpcPeer(a);
    const pending = client.request('guest.call', { operation: 'status', args: [], deadlineMs: 100 }, 5000, 'c1');
    a.close();
    const error = await pending.catch((e: unknown) => e);
    expect((error as BerthError).code).toBe('BERTH_ERR_RPC_DISCONNECTED');
  });

  it('drops a response whose id the schema cannot check, and keeps serving', async () => {
    const { raw, next, protocolErrors } = setup();
    send(raw, { jsonrpc: '2.0', id: { length: { toString: 0 } }, result: { ok: 1 } });
    send(raw, { jsonrpc: '2.0', id: 'after', method: 'guest.ping' });
    expect(await next()).toEqual({ jsonrpc: '2.0', id: 'after', result: { pong: true } });
    expect(protocolErrors.some((message) => message.startsWith('invalid response'))).toBe(true);
  });

  it('maps a remote BerthError to its catalogue code', async () => {
    const [a, b] = memoryTransportPair();
    new RpcPeer(b, { handlers: { 'guest.call': async () => { throw new BerthError('BERTH_ERR_CALL_TIMEOUT', 'too slow'); } } });
    const error = await new RpcPeer(a).request('guest.call', { operation: 'status', args: [], deadlineMs: 1 }, 1000, 'e1').catch((e: unknown) => e);
    expect((error as BerthError).code).toBe('BERTH_ERR_CALL_TIMEOUT');
  });
});
