import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Server as TlsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { OperationName } from '../../datastores/sdk/operations.js';
import { RpcPeer } from '../../host/rpc/peer.js';
import { SUBPROTOCOL, type CastParams, type MethodParams, type MethodResult } from '../../host/rpc/protocol.js';
import { webSocketTransport, type Transport } from '../../host/rpc/transport.js';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { CastOrder } from './cast-order.js';

type Hello = MethodParams<'guest.hello'>;
type CallOutcome = MethodResult<'guest.call'>;

export interface GuestHubOptions {
  /** Is this the instance's token? Only a yes lets the guest in. */
  authenticate(instanceId: string, token: string): boolean | Promise<boolean>;
  reportIntervalMs?: number;
  /** How far ahead of this server's clock a cast may be dated (default 30 s); later ones are refused. */
  clockSkewMs?: number;
  onConnect?(instanceId: string, hello: Hello): void;
  onDisconnect?(instanceId: string): void;
  onHeartbeat?(instanceId: string, heartbeat: CastParams<'guest.heartbeat'>): void;
  onEvent?(instanceId: string, event: CastParams<'guest.event'>): void;
  onProtocolError?(instanceId: string | undefined, message: string): void;
}

interface Guest {
  peer: RpcPeer;
  hello: Hello;
}

function pathOf(url: string | undefined): string | undefined {
  try {
    return new URL(url ?? '/', 'http://x').pathname;
  } catch {
    return undefined;
  }
}

function refuseUpgrade(socket: Duplex, request: IncomingMessage): void {
  const error = new BerthError('BERTH_ERR_ROUTE_NOT_FOUND', `no WebSocket endpoint at ${String(request.url).slice(0, 200)}`, 'guests connect to /v1/guests');
  const body = JSON.stringify({ error: error.toJSON() });
  socket.on('error', () => undefined);
  socket.end(`HTTP/1.1 ${error.status} Not Found\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * The server's end of every guest channel. Calls have deadlines; a call whose
 * guest is (or goes) away waits for it to come back and is re-sent with the
 * same id, which the host answers from its record instead of running twice.
 */
export class GuestHub {
  private readonly guests = new Map<string, Guest>();
  private readonly waiters = new Map<string, Array<() => void>>();
  private readonly order: CastOrder;
  private stopping = false;
  private readonly server = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });

  constructor(private readonly options: GuestHubOptions) {
    this.order = new CastOrder(options.clockSkewMs ?? 30_000);
  }

  /**
   * Serve guests on `path` of an HTTP server. The hub answers every upgrade
   * request of that server: one for another path (or a URL that does not
   * parse) is refused with the catalogue's 404 and its socket closed, not
   * left open, and never thrown (an exception here would end the process).
   */
  attach(http: Server | TlsServer, path = '/v1/guests'): void {
    http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (pathOf(request.url) !== path) return refuseUpgrade(socket, request);
      this.server.handleUpgrade(request, socket, head, (ws) => {
        if (ws.protocol !== SUBPROTOCOL) {
          ws.on('error', () => undefined); // closing anyway: a bad frame meanwhile must not throw
          return ws.close(4400, `use the ${SUBPROTOCOL} subprotocol`);
        }
        this.accept(webSocketTransport(ws));
      });
    });
  }

  /** Serve one connection (a socket's, or an in-memory one in tests). */
  accept(transport: Transport): void {
    let instanceId: string | undefined;
    // set before the token check awaits: a second hello sent right behind the first is refused too
    let greeted = false;
    const peer: RpcPeer = new RpcPeer(transport, {
      handlers: {
        'guest.hello': async (hello) => {
          if (greeted) throw new BerthError('BERTH_ERR_RPC_HANDSHAKE', 'this connection already said hello');
          greeted = true;
          if (!(await this.options.authenticate(hello.instanceId, hello.token))) {
            setTimeout(() => peer.close(4401, 'handshake refused'), 10);
            throw new BerthError('BERTH_ERR_RPC_HANDSHAKE', `instance ${hello.instanceId} is unknown or its token is wrong`);
          }
          instanceId = hello.instanceId;
          this.guests.get(instanceId)?.peer.close(4409, 'replaced by a newer connection');
          this.guests.set(instanceId, { peer, hello });
          this.options.onConnect?.(instanceId, hello);
          for (const wake of this.waiters.get(instanceId)?.splice(0) ?? []) wake();
          return this.options.reportIntervalMs ? { reportIntervalMs: this.options.reportIntervalMs } : {};
        },
      },
      casts: {
        'guest.heartbeat': (heartbeat) => {
          const sentAt = this.inOrder(instanceId, 'guest.heartbeat', heartbeat);
          if (sentAt !== undefined) this.options.onHeartbeat?.(instanceId!, { ...heartbeat, sentAt });
        },
        'guest.event': (event) => {
          const sentAt = this.inOrder(instanceId, 'guest.event', event);
          if (sentAt !== undefined) this.options.onEvent?.(instanceId!, { ...event, sentAt });
        },
      },
      onProtocolError: (message) => this.options.onProtocolError?.(instanceId, message),
    });
    peer.onClose(() => {
      if (instanceId && this.guests.get(instanceId)?.peer === peer) {
        this.guests.delete(instanceId);
        this.options.onDisconnect?.(instanceId);
      }
    });
  }

  /**
   * The time to take a cast as sent at (never later than now), or undefined
   * to drop it: before the handshake, older than the last of its kind, or
   * dated too far ahead (refused, for the operator's log).
   */
  private inOrder(instanceId: string | undefined, kind: 'guest.heartbeat' | 'guest.event', cast: { sentAt: number; seq: number }): number | undefined {
    if (!instanceId) {
      this.options.onProtocolError?.(undefined, 'cast before the handshake dropped');
      return undefined;
    }
    const admission = this.order.admit(instanceId, kind, cast);
    if (admission.admitted) return admission.sentAt;
    if (admission.refusal) this.options.onProtocolError?.(instanceId, `BERTH_ERR_GUEST_CLOCK_SKEW: ${admission.refusal}`);
    return undefined;
  }

  /** Close a guest's connection (its instance was deleted: its token no longer lets it back in). */
  disconnect(instanceId: string, reason = 'instance deleted'): void {
    this.guests.get(instanceId)?.peer.close(4410, reason);
    this.order.forget(instanceId);
  }

  isConnected(instanceId: string): boolean {
    return this.guests.get(instanceId)?.peer.isOpen === true;
  }

  helloOf(instanceId: string): Hello | undefined {
    return this.guests.get(instanceId)?.hello;
  }

  /**
   * Wait until the instance's guest is connected with this manager build (its
   * hello's sha256), as after an upgrade's host restart; false at `untilMs`.
   * Rejects with BERTH_ERR_SERVER_STOPPING when the hub closes first.
   */
  async waitForManager(instanceId: string, sha256: string, untilMs: number): Promise<boolean> {
    for (;;) {
      if (this.stopping) throw new BerthError('BERTH_ERR_SERVER_STOPPING', `the wait for instance ${instanceId}'s guest on its new build was interrupted by the server stopping`);
      if (this.isConnected(instanceId) && this.helloOf(instanceId)?.sha256 === sha256) return true;
      if (Date.now() >= untilMs) return false;
      // woken by the next hello (or the hub closing), whoever's it was
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, untilMs - Date.now()));
        const list = this.waiters.get(instanceId) ?? [];
        list.push(() => {
          clearTimeout(timer);
          resolve();
        });
        this.waiters.set(instanceId, list);
      });
    }
  }

  private waitForGuest(instanceId: string, untilMs: number): Promise<boolean> {
    if (this.isConnected(instanceId)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), Math.max(0, untilMs - Date.now()));
      const list = this.waiters.get(instanceId) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
      this.waiters.set(instanceId, list);
    });
  }

  /**
   * Ask a connected guest's host whether it reaches the source it follows
   * (guest.source-reachable, answered without the manager); undefined when
   * it is not connected or does not answer within `timeoutMs` and a second.
   */
  async sourceReachable(instanceId: string, timeoutMs: number): Promise<MethodResult<'guest.source-reachable'> | undefined> {
    const guest = this.guests.get(instanceId);
    if (!guest?.peer.isOpen) return undefined;
    return guest.peer.request('guest.source-reachable', { timeoutMs }, timeoutMs + 1000, randomUUID()).catch(() => undefined);
  }

  /** Run one operation on a guest, within `deadlineMs`, across reconnects, at most once. */
  async call(instanceId: string, operation: OperationName, args: unknown[], deadlineMs: number, id: string = randomUUID()): Promise<CallOutcome> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      if (this.stopping) throw new BerthError('BERTH_ERR_SERVER_STOPPING', `${operation} on ${instanceId} was interrupted by the server stopping`);
      if (!(await this.waitForGuest(instanceId, deadline))) {
        if (this.stopping) throw new BerthError('BERTH_ERR_SERVER_STOPPING', `${operation} on ${instanceId} was interrupted by the server stopping`);
        throw new BerthError('BERTH_ERR_RPC_TIMEOUT', `guest ${instanceId} was not connected within the ${deadlineMs} ms deadline of ${operation}`);
      }
      const guest = this.guests.get(instanceId)!;
      const left = deadline - Date.now();
      try {
        return await guest.peer.request('guest.call', { operation, args, deadlineMs: Math.max(1, left) }, left + 500, id);
      } catch (error) {
        // the connection dropped mid-call: wait for the guest and send the same id again
        if (error instanceof BerthError && error.code === 'BERTH_ERR_RPC_DISCONNECTED' && Date.now() < deadline) continue;
        throw error;
      }
    }
  }

  /** Renew or release a guest's write lease (write-leases.ts): once, on the current connection, never waited for or re-sent. */
  lease(instanceId: string, params: MethodParams<'guest.lease'>, timeoutMs: number): Promise<MethodResult<'guest.lease'>> {
    const guest = this.guests.get(instanceId);
    if (!guest || this.stopping) return Promise.reject(new BerthError('BERTH_ERR_RPC_DISCONNECTED', `guest ${instanceId} is not connected: its lease was not renewed`));
    return guest.peer.request('guest.lease', params, timeoutMs, randomUUID());
  }

  async close(): Promise<void> {
    this.stopping = true;
    for (const wake of [...this.waiters.values()].flat()) wake();
    this.waiters.clear();
    for (const guest of this.guests.values()) guest.peer.close(1001, 'server stopping');
    this.guests.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
