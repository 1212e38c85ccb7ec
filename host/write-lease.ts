import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { BerthError } from '../datastores/errors/berth-error.js';
import type { OperationName } from '../datastores/sdk/operations.js';
import type { MethodParams, MethodResult } from './rpc/protocol.js';
import { replaceStateFile } from './state-file.js';

type Outcome = { ok?: unknown } | { err: unknown };
type Call = (operation: OperationName, args: unknown[]) => Promise<Outcome>;
type Renewal = Extract<MethodParams<'guest.lease'>, { durationMs: number }>;
type Answer = MethodResult<'guest.lease'>;
/** How the lease keeps writes out once it lapsed: the manager's read-only, or the datastore stopped. */
type Fence = 'read-only' | 'stopped';

/** Operations after which the server, not the lease, decides whether the datastore takes writes. */
const TAKES_OVER: ReadonlySet<OperationName> = new Set(['make-read-only', 'demote-replication-master', 'attach-replica', 'detach-replica', 'enable-as-master']);

export interface WriteLeaseOptions {
  /** The host's state directory for this instance (no grant reaches it). */
  stateDir: string;
  /** What the manager claims: a lease is refused without make-read-only. */
  operations: readonly OperationName[];
  /** A host-initiated call into the sandbox. */
  call: Call;
  log: Logger;
  /** Monotonic milliseconds (tests). */
  now?: () => number;
}

/**
 * The write lease of a replication source (docs/replication.md, "The write
 * lease"). The server renews it; if no renewal comes before it expires,
 * the host itself makes the datastore refuse writes, so a source cut off from
 * the server stops taking writes before the server may fail over. The lease
 * runs on this process's monotonic clock from when the host issued the token
 * the renewal carries (an earlier answer of this process), never from when a
 * renewal arrived: one delayed in the network extends nothing.
 *
 * The record ("held" or "lapsed") is a file in the state directory: a host
 * that starts with one cannot know how much of the lease is left, so it
 * fences the datastore right after autostart and before serving any call,
 * until a renewal arrives. A host never given a lease does nothing.
 */
export class WriteLease {
  private readonly file: string;
  private readonly nonce = randomBytes(8).toString('hex');
  private readonly now: () => number;
  private expiresAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private fence: Fence | undefined;
  /** Lease actions one at a time: a lapse and a renewal never interleave. */
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: WriteLeaseOptions) {
    mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
    this.file = join(options.stateDir, 'write-lease');
    this.now = options.now ?? (() => performance.now());
  }

  /** What the state directory says: a lease held or lapsed when the host last ran. */
  recorded(): 'held' | 'lapsed' | undefined {
    try {
      const state = readFileSync(this.file, 'utf8').trim();
      return state === 'held' || state === 'lapsed' ? state : undefined;
    } catch {
      return undefined;
    }
  }

  /** At host start, once the datastore is back: a lease on record is taken as lapsed. */
  atStart(): Promise<void> {
    const recorded = this.recorded();
    if (!recorded) return Promise.resolve();
    return this.serially(() => this.lapse(`the host started with a lease ${recorded} on record`));
  }

  renew(renewal: Renewal): Promise<Answer> {
    if (!this.options.operations.includes('make-read-only')) {
      return Promise.reject(new BerthError('BERTH_ERR_OPERATION_UNSUPPORTED', 'the manager does not claim make-read-only: this host cannot hold a write lease', 'a source whose manager has no make-read-only is not fenced by a lease'));
    }
    return this.serially(async () => {
      const issued = this.issuedAt(renewal.token);
      const expiry = issued === undefined ? undefined : issued + renewal.durationMs;
      const held = expiry !== undefined && expiry > this.now();
      if (held) {
        this.expiresAt = Math.max(this.expiresAt ?? 0, expiry);
        this.schedule();
        if (this.recorded() !== 'held' && !this.fence) this.record('held');
        if (this.fence) await this.unfence();
      }
      return { held, readOnly: this.fence !== undefined, token: this.token() };
    });
  }

  /**
   * No longer a source: the lease is forgotten. `restoreWrites` (a standalone
   * primary now) lifts what a lapse left; otherwise it stays, and the server's
   * role operations decide. `readOnly` answers whether the lapse's read-only was left.
   */
  release(restoreWrites: boolean): Promise<Answer> {
    return this.serially(async () => {
      this.expiresAt = undefined;
      clearTimeout(this.timer);
      if (this.fence && restoreWrites) await this.unfence();
      const readOnly = this.fence !== undefined;
      this.fence = undefined;
      rmSync(this.file, { force: true });
      return { held: false, readOnly, token: this.token() };
    });
  }

  /** After each server call that succeeded: a role operation decides writes from then on, not the lease. */
  observe(operation: OperationName, outcome: Outcome): void {
    if (this.fence && 'ok' in outcome && TAKES_OVER.has(operation)) {
      this.options.log.info({ operation }, 'write lease: the server set the datastore\'s role; a renewal will not lift the lapse\'s read-only');
      this.fence = undefined;
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private token(): string {
    return `${this.nonce}:${Math.floor(this.now())}`;
  }

  /** When this process issued the token; undefined for another process's, a future one, or none. */
  private issuedAt(token: string | undefined): number | undefined {
    const [nonce, at] = token?.split(':') ?? [];
    const issued = Number(at);
    return nonce === this.nonce && Number.isSafeInteger(issued) && issued <= this.now() ? issued : undefined;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.closed || this.expiresAt === undefined) return;
    this.timer = setTimeout(() => {
      if (this.expiresAt !== undefined && this.expiresAt <= this.now()) void this.serially(() => this.lapse('no renewal came before the lease expired'));
      else this.schedule();
    }, Math.max(0, this.expiresAt - this.now()) + 1);
    this.timer.unref();
  }

  private async lapse(reason: string): Promise<void> {
    if (this.closed) return;
    this.expiresAt = undefined;
    this.record('lapsed');
    const readOnly = await this.run('make-read-only', [true]);
    if (readOnly === undefined) {
      this.fence = 'read-only';
      this.options.log.warn({ reason }, 'write lease lapsed: the datastore refuses writes until the server renews the lease');
      return;
    }
    // a source that cannot refuse writes must not take them: the datastore stops (autostart still brings it back, fenced again)
    const stopped = this.options.operations.includes('stop-db') ? await this.run('stop-db', [false]) : 'the manager has no stop-db';
    this.fence = 'stopped';
    if (stopped === undefined) this.options.log.error({ reason, readOnlyError: readOnly }, 'write lease lapsed and make-read-only failed: the datastore was stopped');
    else this.options.log.error({ reason, readOnlyError: readOnly, stopDbError: stopped }, 'write lease lapsed: make-read-only and stop-db both failed; the datastore may still take writes');
  }

  private async unfence(): Promise<void> {
    const restored = this.fence === 'stopped' ? await this.run('start-db-with-conf-changes', ['']) : await this.run('make-read-only', [false]);
    if (restored !== undefined) {
      this.options.log.warn({ err: restored }, 'write lease renewed but the datastore could not take writes again: tried again at the next renewal');
      return;
    }
    this.options.log.info({ was: this.fence }, 'write lease renewed: the datastore takes writes again');
    this.fence = undefined;
    this.record('held');
  }

  /** undefined when the call answered ok, else what went wrong. */
  private async run(operation: OperationName, args: unknown[]): Promise<string | undefined> {
    try {
      const outcome = await this.options.call(operation, args);
      return 'err' in outcome ? JSON.stringify(outcome.err).slice(0, 500) : undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  private record(state: 'held' | 'lapsed'): void {
    replaceStateFile(this.file, `${state}\n`);
  }

  private serially<T>(step: () => Promise<T>): Promise<T> {
    const next = this.chain.then(step, step);
    this.chain = next.catch(() => undefined);
    return next;
  }
}
