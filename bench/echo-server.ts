/**
 * A bare ws echo server for bench/side-by-side.ts, run as its own process so
 * the echo crosses processes as the server -> guest host hop does. Prints its
 * port on stdout, then echoes every message until killed.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
server.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
server.once('listening', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
