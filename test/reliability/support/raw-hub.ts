import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { SUBPROTOCOL } from '../../../host/rpc/protocol.js';
import { FrameCollector } from './frame-exchange.js';

export interface RawHub {
  url: string;
  /** Every connection a host made, oldest first. */
  connections: FrameCollector[];
  /** The next connection after the `seen` first ones. */
  connection(seen: number): Promise<FrameCollector>;
  close(): Promise<void>;
}

/**
 * The server's end of the guest channel as a test controls it: a plain ws
 * server that accepts every hello and lets the test send anything. Its HTTP
 * side answers the artifact routes with a catalogue 404, so a host's backup
 * transfer fails at once instead of hanging.
 */
export async function startRawHub(): Promise<RawHub> {
  const http = createServer((_request, response) => {
    response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'BERTH_ERR_BACKUP_NOT_FOUND', message: 'no backups here' } }));
  });
  const wss = new WebSocketServer({ server: http, handleProtocols: () => SUBPROTOCOL, maxPayload: 256 * 1024 * 1024 });
  const connections: FrameCollector[] = [];
  const waiting = new Set<() => void>();
  wss.on('connection', (socket) => {
    const collector = new FrameCollector(socket);
    collector.onOwnFrame = (frame) => {
      if (frame.method === 'guest.hello') socket.send(JSON.stringify({ jsonrpc: '2.0', id: frame.id, result: {} }));
    };
    connections.push(collector);
    waiting.forEach((wake) => wake());
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/v1/guests`,
    connections,
    connection(seen) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no connection after the first ${seen}`)), 30_000);
        const check = () => {
          if (connections.length <= seen) return;
          clearTimeout(timer);
          waiting.delete(check);
          resolve(connections[seen]!);
        };
        waiting.add(check);
        check();
      });
    },
    async close() {
      wss.clients.forEach((client) => client.terminate());
      await new Promise((resolve) => wss.close(resolve));
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
