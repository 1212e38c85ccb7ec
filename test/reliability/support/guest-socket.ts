import WebSocket from 'ws';
import { SUBPROTOCOL } from '../../../host/rpc/protocol.js';
import { FrameCollector, type Answer } from './frame-exchange.js';

/** A raw WebSocket client of a guest hub, collecting what it receives; `protocol` null asks for none. */
export async function openGuestSocket(url: string, protocol: string | null = SUBPROTOCOL): Promise<FrameCollector> {
  const options = { maxPayload: 256 * 1024 * 1024 };
  const socket = protocol === null ? new WebSocket(url, options) : new WebSocket(url, protocol, options);
  const collector = new FrameCollector(socket);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return collector;
}

export const GOOD_SHA = 'a'.repeat(64);

/** Says hello as `instanceId` and waits for the answer. */
export async function hello(collector: FrameCollector, instanceId: string, token: string, id = `hello-${instanceId}-${Math.random()}`): Promise<Answer> {
  collector.socket.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'guest.hello', params: { instanceId, token, hostVersion: '0.1.0', manifest: {}, sha256: GOOD_SHA } }));
  await collector.until(() => collector.answers.some((a) => a.id === id), `the answer to ${id}`);
  return collector.answers.find((a) => a.id === id)!;
}

/** Resolves with the close code once the socket has closed. */
export function closed(collector: FrameCollector, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    if (collector.closed) return resolve(collector.closed.code);
    const timer = setTimeout(() => reject(new Error(`the connection did not close within ${timeoutMs} ms`)), timeoutMs);
    collector.socket.once('close', (code: number) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
