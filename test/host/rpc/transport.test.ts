import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { webSocketTransport } from '../../../host/rpc/transport.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the WebSocket transport', () => {
  it('keeps frames that arrive before anyone listens (sent by the server the moment it accepts)', async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (ws) => ['first', 'second', 'third'].forEach((text) => ws.send(text)));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      wss.clients.forEach((client) => client.terminate());
      await new Promise((resolve) => wss.close(resolve));
      await new Promise((resolve) => http.close(resolve));
    });
    const socket = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
    const transport = webSocketTransport(socket);
    await new Promise((resolve) => socket.once('open', resolve));
    await new Promise((resolve) => setTimeout(resolve, 100)); // every frame has arrived by now
    const received: string[] = [];
    transport.onMessage((text) => received.push(text!));
    expect(received).toEqual(['first', 'second', 'third']);
    socket.close();
  });
});
