import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy between guests and the server, for fault tests: it can delay
 * every chunk each way, cut every connection, and refuse new ones for a while
 * (the network is down), then let them through again.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private refusing = false;
  delayMs = 0;
  /** Connections accepted so far (a reconnect shows as one more). */
  accepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy!.handle(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
    return proxy;
  }

  private handle(client: Socket, targetPort: number): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    this.accepted++;
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    const pipe = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        if (this.delayMs === 0) to.write(chunk);
        else setTimeout(() => !to.destroyed && to.write(chunk), this.delayMs);
      });
    pipe(client, upstream);
    pipe(upstream, client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** Every open connection dies at once, as when a link goes down. */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** New connections are dropped on arrival until `restore()`. */
  refuse(): void {
    this.refusing = true;
    this.cut();
  }

  restore(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
