import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import type { Logger } from 'pino';
import { BerthError } from '../../datastores/errors/berth-error.js';
import type { OperationName } from '../../datastores/sdk/operations.js';
import { RpcPeer } from './peer.js';
import { SUBPROTOCOL, type CastName, type CastParams, type MethodParams, type MethodResult } from './protocol.js';
import { webSocketTransport, type Transport } from './transport.js';
import { LogThrottle } from './log-throttle.js';
import { RecentResults } from './recent-results.js';
import type { CallJournal } from './call-journal.js';
import { isReadOnly } from '../../datastores/sdk/read-only-operations.js';
import { asBerthError } from '../../datastores/errors/berth-error.js';
import { CastQueue } from './cast-queue.js';
import { cut } from './manager-log-limiter.js';
import { wireSize } from './wire-size.js';
import { changesStatus } from './status-changing-operations.js';
import { DEFAULT_RESULT_LIMIT } from './protocol.js';

type CallOutcome = MethodResult<'guest.call'>;
const MAX_DETAIL_CHARS = 1024;
type Heartbeat = Omit<CastParams<'guest.heartbeat'>, 'seq' | 'sentAt'>;

export interface GuestLinkOptions {
  url: string;
  caFile?: string;
  hello(): MethodParams<'guest.hello'>;
  /** Run one operation in the sandbox. */
  call(operation: OperationName, args: unknown[], deadlineMs: number): Promise<CallOutcome>;
  /** The write lease's renewals and release (write-lease.ts); without it the host refuses them. */
  lease?(params: MethodParams<'guest.lease'>): Promise<MethodResult<'guest.lease'>>;
  /** guest.source-reachable: whether the source this replica follows answers its datastore's first exchange (source-probe.ts; without the manager). */
  sourceReachable?(timeoutMs: number): Promise<MethodResult<'guest.source-reachable'>>;
  /** The status probe, for heartbeats. */
  probe(): Promise<Heartbeat>;
  reportIntervalMs: number;
  log: Logger;
  /** Calls on disk, so a re-sent request is answered from the record across a host restart too. */
  journal?: CallJournal;
  /** Replaces the WebSocket dialer (tests: an in-memory pair). */
  dial?(url: string): Promise<Transport>;
  backoff?: { initialMs: number; maxMs: number };
  castQueueLimit?: number;
  castQueueBytes?: number;
  recentResultsLimit?: number;
  /** Bytes the recent results may hold together (default 64 MiB): each may be up to `resultLimit`. */
  recentResultsBytes?: number;
  /** host.result_limit: arguments larger than this on the wire are refused before they reach the sandbox. */
  resultLimit?: number;
}

/**
 * The host's end of the guest channel. Guests sit behind NAT, so the host
 * dials out and keeps dialing: exponential backoff with jitter, a handshake on
 * every connection, casts queued in order while disconnected, and re-sent
 * requests answered from the record rather than run twice.
 */
export class GuestLink {
  private peer: RpcPeer | undefined;
  private readonly results: RecentResults<CallOutcome>;
  private readonly resultLimit: number;
  /** Twenty lines per ten seconds: each bad frame is answered, not each one logged. */
  private readonly protocolErrorLog = new LogThrottle(20, 10_000);
  private readonly queue: CastQueue;
  /** The latest heartbeat not yet sent: heartbeats never wait behind the manager's casts, and only the latest matters. */
  private heartbeat: CastParams<'guest.heartbeat'> | undefined;
  private seq = 0;
  private attempt = 0;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private reportIntervalMs: number;
  /** A heartbeat out of turn is being probed; `beatAgain`: another was asked for meanwhile. */
  private beating: Promise<void> | undefined;
  private beatAgain = false;
  private readonly readyListeners: Array<() => void> = [];
  /** Completed handshakes, for tests and the operator's log. */
  connections = 0;
  executedCalls = 0;

  constructor(private readonly options: GuestLinkOptions) {
    this.resultLimit = options.resultLimit ?? DEFAULT_RESULT_LIMIT;
    // the sandbox refused every answer past the limit: measuring one again is a walk of at most that many bytes
    this.results = new RecentResults(options.recentResultsLimit ?? 1000, options.recentResultsBytes ?? 64 * 1024 * 1024, (outcome) => wireSize(outcome, this.resultLimit));
    this.queue = new CastQueue(options.castQueueLimit ?? 1000, options.castQueueBytes ?? 4 * 1024 * 1024);
    this.reportIntervalMs = options.reportIntervalMs;
  }

  start(): void {
    void this.connect();
    this.scheduleHeartbeat();
  }

  get ready(): boolean {
    return this.peer?.isOpen === true && this.handshaken;
  }
  private handshaken = false;
  private lastDialError: string | undefined;

  onReady(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  /** Send a cast now, or keep it in order until the next connection. */
  cast<C extends CastName>(name: C, params: Omit<CastParams<C>, 'seq' | 'sentAt'>): void {
    const full = { ...params, seq: this.seq++, sentAt: Date.now() } as CastParams<C>;
    if (name === 'guest.heartbeat') this.heartbeat = full as CastParams<'guest.heartbeat'>;
    else this.queue.push({ name, params: full });
    if (this.ready) this.flush();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.heartbeatTimer);
    this.peer?.close(1001, 'host stopping');
  }

  private flush(): void {
    const dropped = this.queue.dropped;
    if (dropped > 0) {
      this.options.log.warn({ dropped }, 'casts dropped while disconnected (queue full)');
      this.queue.dropped = 0;
    }
    // the server orders heartbeats among themselves: the latest goes first, ahead of any backlog
    if (this.heartbeat && this.peer?.notify('guest.heartbeat', this.heartbeat)) this.heartbeat = undefined;
    this.queue.flush((cast) => this.peer?.notify(cast.name, cast.params) ?? false);
  }

  /**
   * A heartbeat now, out of turn (after an operation that may have changed the
   * service, after the host brought its datastore back). Coalesced: one probe
   * at a time, and at most one more after it however many were asked for.
   */
  beatNow(): void {
    if (this.stopped) return;
    if (this.beating) {
      this.beatAgain = true;
      return;
    }
    this.beating = this.beat().finally(() => {
      this.beating = undefined;
      if (this.beatAgain) {
        this.beatAgain = false;
        this.beatNow();
      }
    });
  }

  /** Probe the manager and cast the result; a failed probe is reported, never skipped. */
  private async beat(): Promise<void> {
    let heartbeat: Heartbeat;
    try {
      heartbeat = await this.options.probe();
    } catch (error) {
      heartbeat = { status: 'unknown', detail: (error as Error).message };
    }
    // the detail may carry the manager's own words (its status error): every heartbeat would carry them
    this.cast('guest.heartbeat', heartbeat.detail && heartbeat.detail.length > MAX_DETAIL_CHARS ? { ...heartbeat, detail: cut(heartbeat.detail, MAX_DETAIL_CHARS) } : heartbeat);
  }

  private scheduleHeartbeat(): void {
    clearTimeout(this.heartbeatTimer);
    if (this.stopped) return;
    this.heartbeatTimer = setTimeout(async () => {
      await this.beat();
      this.scheduleHeartbeat();
    }, this.reportIntervalMs);
    this.heartbeatTimer.unref?.();
  }

  private async dial(): Promise<Transport> {
    if (this.options.dial) return this.options.dial(this.options.url);
    const ca = this.options.caFile ? readFileSync(this.options.caFile) : undefined;
    const socket = new WebSocket(this.options.url, SUBPROTOCOL, { ca, handshakeTimeout: 10_000, maxPayload: 64 * 1024 * 1024 });
    const transport = webSocketTransport(socket); // listening before 'open', so no early frame is lost
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(transport));
      socket.once('error', reject);
    });
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let transport: Transport;
    try {
      transport = await this.dial();
    } catch (error) {
      // say why once at warn level (a refused certificate must be visible), then quietly retry
      const reason = (error as Error).message;
      this.options.log[reason === this.lastDialError ? 'debug' : 'warn']({ err: reason, attempt: this.attempt }, 'server not reachable');
      this.lastDialError = reason;
      return this.reconnectLater();
    }
    this.lastDialError = undefined;
    const peer = new RpcPeer(transport, {
      handlers: {
        'guest.call': (params, request) => this.handleCall(params, request.id),
        'guest.ping': async () => ({ pong: true as const }),
        'guest.lease': async (params) => {
          if (!this.options.lease) throw new BerthError('BERTH_ERR_OPERATION_UNSUPPORTED', 'this host holds no write lease');
          return this.options.lease(params);
        },
        'guest.source-reachable': async ({ timeoutMs }) => (this.options.sourceReachable ? this.options.sourceReachable(timeoutMs) : { reachable: false }),
      },
      onProtocolError: (message) => this.protocolErrorLog.warn(this.options.log, { message: message.slice(0, 500) }, 'protocol error on the guest channel'),
    });
    this.peer = peer;
    this.handshaken = false;
    peer.onClose((code, reason) => {
      if (this.peer !== peer) return;
      this.handshaken = false;
      this.options.log.info({ code, reason }, 'disconnected from the server');
      this.reconnectLater();
    });
    try {
      const accepted = await peer.request('guest.hello', this.options.hello(), 10_000, `hello-${Date.now()}`);
      if (accepted.reportIntervalMs && accepted.reportIntervalMs !== this.reportIntervalMs) {
        this.reportIntervalMs = accepted.reportIntervalMs;
        this.scheduleHeartbeat();
      }
      this.handshaken = true;
      this.attempt = 0;
      this.connections++;
      this.options.log.info({ url: this.options.url, queued: this.queue.length }, 'connected to the server');
      this.flush();
      // the server learns the status on connection, not a report interval later
      this.beatNow();
      this.scheduleHeartbeat();
      this.readyListeners.forEach((listener) => listener());
    } catch (error) {
      const refused = error instanceof BerthError && error.code === 'BERTH_ERR_RPC_HANDSHAKE';
      this.options.log[refused ? 'error' : 'warn']({ err: (error as Error).message }, 'handshake failed');
      peer.close(4000, 'handshake failed');
    }
  }

  private reconnectLater(): void {
    if (this.stopped) return;
    clearTimeout(this.reconnectTimer);
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 250, maxMs: 30_000 };
    const ceiling = Math.min(maxMs, initialMs * 2 ** this.attempt);
    // "equal jitter": at least half the ceiling, so a fleet does not reconnect in lockstep
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private handleCall(params: MethodParams<'guest.call'>, id: string | number): Promise<CallOutcome> {
    // within a frame, but more than the manager may answer with: refused before it is cloned into the sandbox
    if (wireSize(params.args, this.resultLimit) > this.resultLimit) {
      return Promise.reject(
        new BerthError(
          'BERTH_ERR_PAYLOAD_TOO_LARGE',
          `the arguments of ${params.operation} take more than ${this.resultLimit} bytes (host.result_limit); the call was not run`,
          'send less per call, or raise host.result_limit in the guest config',
        ),
      );
    }
    const { result, replayed } = this.results.once(id, () => {
      // reads change nothing: they are run again rather than journaled
      const journal = isReadOnly(params.operation) ? undefined : this.options.journal;
      const recalled = journal?.recall(id) as Promise<CallOutcome> | undefined;
      if (recalled) {
        this.options.log.warn({ id, operation: params.operation }, 're-sent request answered from the journal of an earlier host process');
        return recalled;
      }
      journal?.started(id, params.operation);
      this.executedCalls++;
      const settled = this.options.call(params.operation, params.args, params.deadlineMs).then(
        (outcome) => {
          journal?.finished(id, params.operation, { outcome });
          return outcome;
        },
        (error: unknown) => {
          journal?.finished(id, params.operation, { error: asBerthError(error) });
          throw error;
        },
      );
      // after the answer is on its way: the server records the operation's end before it reads the status
      if (changesStatus(params.operation)) settled.then(() => setImmediate(() => this.beatNow()), () => setImmediate(() => this.beatNow()));
      return settled;
    });
    if (replayed) this.options.log.info({ id, operation: params.operation }, 're-sent request answered from the record');
    return result;
  }
}
