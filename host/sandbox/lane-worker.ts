import type { Worker } from 'node:worker_threads';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { bootSandboxWorker, workerHeapMb } from './boot.js';
import { saveCodeCache, type TranspiledComponent } from '../component/compile.js';
import type { CallOutcome, FromWorker, SandboxSpec, ToWorker } from './spec.js';
import type { ArtifactGrant } from '../capabilities/artifacts.js';
import type { ReplicationSource } from '../capabilities/redis-command-policy.js';
import { callTimeout, type CallDeadline } from './call-deadline.js';

export interface LaneHooks {
  onMessage(message: FromWorker): void;
  /** The instance was replaced: why (trap, deadline, crash, memory). */
  onRestart(reason: string): void;
  /** A worker thread of this lane has ended, whatever the reason (its threadId while it ran). */
  onWorkerExit?(threadId: number): void;
  /** The replication source each call is sent with (SandboxOptions.replicationSource); absent: none. */
  replicationSource?(): ReplicationSource | undefined;
}

type ReplacedCode = 'BERTH_ERR_CALL_TRAPPED' | 'BERTH_ERR_CALL_TIMEOUT' | 'BERTH_ERR_MEMORY_LIMIT' | 'BERTH_ERR_PAYLOAD_TOO_LARGE';

/**
 * An instance whose memory is past this share of its ceiling after a call is
 * replaced: wasm memory never shrinks, so what a call grew stays resident
 * until the worker ends, and the next allocation would likely fail anyway.
 * A call that failed or trapped that close to the ceiling answers
 * BERTH_ERR_MEMORY_LIMIT: the ceiling is why it failed.
 */
const RECYCLE_AT_SHARE_OF_CEILING = 7 / 8;

const MIB = 1024 * 1024;

const TOO_LARGE_FIX = 'ask for less per call (a smaller page of a listing), or raise host.result_limit in the guest config';

interface PendingCall {
  id: number;
  iface: string;
  fn: string;
  args: unknown[];
  artifacts: ArtifactGrant[];
  label: string;
  deadline: CallDeadline;
  deadlineAt: number;
  /** Fails the call if its deadline passes while it is still queued. */
  waiting?: NodeJS.Timeout;
  resolve(outcome: CallOutcome): void;
  reject(error: BerthError): void;
}

/**
 * One worker thread with one manager instance, running one call at a time in
 * arrival order. A trap, a missed deadline or a crash ends the worker; a fresh
 * one is started from the already compiled modules and the queue goes on.
 */
export class LaneWorker {
  private worker: Worker | undefined;
  private ready: Promise<unknown> | undefined;
  private readonly queue: PendingCall[] = [];
  private current: { call: PendingCall; timer: NodeJS.Timeout } | undefined;
  private nextId = 1;
  private closed = false;
  private idleTimer: NodeJS.Timeout | undefined;

  /**
   * `idleStopMs`: stop the worker after that long without calls (it starts
   * again on the next one); undefined keeps it running.
   */
  constructor(
    private readonly name: string,
    private readonly component: TranspiledComponent,
    private readonly spec: SandboxSpec,
    private readonly hooks: LaneHooks,
    private readonly idleStopMs?: number,
  ) {}

  /**
   * Start the worker; resolves with describe()'s manifest once the instance
   * is warm. `booted`: a worker from bootSandboxWorker() that has not been
   * given a component yet (started ahead, while the host was loading).
   */
  start(booted?: Worker): Promise<unknown> {
    const limit = this.component.memory.limitBytes;
    // one that died while waiting (threadId -1 once it has exited) is replaced; its failure will repeat and be reported
    const adopt = booted && booted.threadId !== -1 && booted.resourceLimits?.maxOldGenerationSizeMb === workerHeapMb(limit);
    if (booted && !adopt) void booted.terminate();
    const worker = adopt ? booted : bootSandboxWorker(limit);
    const init: ToWorker = { kind: 'init', component: this.component, spec: this.spec };
    worker.postMessage(init);
    this.worker = worker;
    // threadId reads -1 once the worker has exited
    const threadId = worker.threadId;
    let warm = false;
    this.ready = new Promise((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        if (message.kind === 'ready') {
          warm = true;
          resolve(message.manifest);
          this.dispatch();
        } else if (message.kind === 'init-failed') {
          reject(new BerthError('BERTH_ERR_SANDBOX_FAILED', `the ${this.name} instance could not start: ${message.message}`));
        } else if (message.kind === 'code-cache') {
          // the next lane to start in this process, and the next host start, load the glue from it
          this.component.codeCache = message.codeCache;
          void saveCodeCache(this.component, message.codeCache);
        } else if (message.kind === 'result') {
          if (this.nearCeiling(message.memoryBytes)) this.settleNearCeiling(message.id, message.outcome, message.memoryBytes);
          else this.settle(message.id, (call) => call.resolve(message.outcome));
        } else if (message.kind === 'trap') {
          const memory = this.nearCeiling(message.memoryBytes) ? `, its memory at ${this.ofCeiling(message.memoryBytes)}` : '';
          this.replace(message.id, `trapped in ${this.labelOf(message.id)}${memory}: ${message.message}`, memory ? 'BERTH_ERR_MEMORY_LIMIT' : 'BERTH_ERR_CALL_TRAPPED');
        } else if (message.kind === 'too-large') {
          // the instance grew its memory to build what it may not send: a fresh one gives that memory back
          this.replace(message.id, `answered ${this.labelOf(message.id)} with more than ${message.limit} bytes (host.result_limit)`, 'BERTH_ERR_PAYLOAD_TOO_LARGE', TOO_LARGE_FIX);
        } else this.hooks.onMessage(message);
      });
      worker.on('error', (error) => {
        reject(new BerthError('BERTH_ERR_SANDBOX_FAILED', `the ${this.name} instance failed: ${error.message}`));
        // V8 ends a worker whose JS heap passes its resourceLimits (boot.ts)
        const outOfHeap = (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
        const reason = outOfHeap ? `ran its worker's JS heap past ${workerHeapMb(limit)} MiB (host.memory_limit)` : `crashed: ${error.message}`;
        if (worker === this.worker) this.replace(this.current?.call.id, reason, outOfHeap ? 'BERTH_ERR_MEMORY_LIMIT' : 'BERTH_ERR_CALL_TRAPPED');
      });
      worker.on('exit', (code) => {
        this.hooks.onWorkerExit?.(threadId);
        if (worker !== this.worker || this.closed) return;
        // an instance that never started will not start next time either: fail what waits instead of looping
        if (!warm) {
          const reason = `the ${this.name} instance could not start (exit code ${code})`;
          reject(new BerthError('BERTH_ERR_SANDBOX_FAILED', reason));
          this.failAll(reason);
        } else this.replace(this.current?.call.id, `exited with code ${code}`, 'BERTH_ERR_CALL_TRAPPED');
      });
    });
    this.ready.catch(() => undefined);
    return this.ready;
  }

  call(iface: string, fn: string, args: unknown[], label: string, deadline: CallDeadline, artifacts: ArtifactGrant[] = []): Promise<CallOutcome> {
    if (this.closed) return Promise.reject(new BerthError('BERTH_ERR_SANDBOX_FAILED', 'the sandbox is closed'));
    clearTimeout(this.idleTimer);
    if (!this.worker) this.start().catch(() => undefined);
    return new Promise((resolve, reject) => {
      const call: PendingCall = { id: this.nextId++, iface, fn, args, artifacts, label, deadline, deadlineAt: Date.now() + deadline.ms, resolve, reject };
      call.waiting = setTimeout(() => {
        const index = this.queue.indexOf(call);
        if (index === -1) return;
        this.queue.splice(index, 1);
        reject(callTimeout(label, deadline, { kind: 'queued', behind: this.current?.call.label ?? 'earlier calls' }));
      }, deadline.ms);
      this.queue.push(call);
      this.dispatch();
    });
  }

  /** With nothing queued or running, stop the worker after the idle time. */
  private scheduleIdleStop(): void {
    if (this.idleStopMs === undefined || this.current || this.queue.length > 0 || !this.worker) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.current || this.queue.length > 0) return;
      const idle = this.worker;
      this.worker = undefined;
      this.ready = undefined;
      void idle?.terminate();
    }, this.idleStopMs);
    this.idleTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    if (this.current) clearTimeout(this.current.timer);
    for (const call of [...this.queue, ...(this.current ? [this.current.call] : [])]) {
      clearTimeout(call.waiting);
      call.reject(new BerthError('BERTH_ERR_SANDBOX_FAILED', 'the sandbox was closed before the call ran'));
    }
    this.queue.length = 0;
    this.current = undefined;
    await this.worker?.terminate();
  }

  private failAll(reason: string): void {
    this.worker = undefined;
    for (const call of this.queue.splice(0)) {
      clearTimeout(call.waiting);
      call.reject(new BerthError('BERTH_ERR_SANDBOX_FAILED', reason));
    }
  }

  private labelOf(id: number): string {
    return this.current?.call.id === id ? this.current.call.label : 'a call';
  }

  private dispatch(): void {
    if (this.current || !this.worker || this.closed) return;
    void this.ready?.then(() => {
      if (this.current || this.closed) return;
      const call = this.queue.shift();
      if (!call) return this.scheduleIdleStop();
      clearTimeout(call.waiting);
      const timer = setTimeout(
        () => this.timedOut(call),
        call.deadlineAt - Date.now(),
      );
      this.current = { call, timer };
      const message: ToWorker = { kind: 'call', id: call.id, iface: call.iface, fn: call.fn, args: call.args, artifacts: call.artifacts, replicationSource: this.hooks.replicationSource?.() };
      this.worker!.postMessage(message);
    });
  }

  private nearCeiling(memoryBytes: number): boolean {
    return memoryBytes > this.component.memory.limitBytes * RECYCLE_AT_SHARE_OF_CEILING;
  }

  private ofCeiling(memoryBytes: number): string {
    return `${Math.round(memoryBytes / MIB)} MiB of its ${Math.round(this.component.memory.limitBytes / MIB)} MiB ceiling (host.memory_limit)`;
  }

  /**
   * The call is over and its instance near its ceiling: an answer stands (the
   * operation was done), a failure is the ceiling's; either way the instance
   * is replaced before the next call, and its memory goes with its worker.
   */
  private settleNearCeiling(id: number, outcome: CallOutcome, memoryBytes: number): void {
    if (!this.current || this.current.call.id !== id) return;
    const { call, timer } = this.current;
    clearTimeout(timer);
    this.current = undefined;
    const reason = `grew to ${this.ofCeiling(memoryBytes)} in ${call.label}`;
    if ('ok' in outcome) call.resolve(outcome);
    else call.reject(new BerthError('BERTH_ERR_MEMORY_LIMIT', `the manager failed in ${call.label} with its memory at ${this.ofCeiling(memoryBytes)}; the ${this.name} instance was replaced`, 'raise host.memory_limit if the manager needs that much'));
    this.replace(undefined, reason, 'BERTH_ERR_MEMORY_LIMIT');
  }

  private settle(id: number, finish: (call: PendingCall) => void): void {
    if (!this.current || this.current.call.id !== id) return;
    const { call, timer } = this.current;
    clearTimeout(timer);
    this.current = undefined;
    finish(call);
    this.dispatch();
  }

  /** The running call passed its deadline: it fails naming the deadline and its setting, and its instance is replaced. */
  private timedOut(call: PendingCall): void {
    this.replace(call.id, `${call.label} exceeded its deadline`, 'BERTH_ERR_CALL_TIMEOUT', undefined, callTimeout(call.label, call.deadline, { kind: 'ran', lane: this.name }));
  }

  /** End this instance, fail the call it was running (with `error`, else one made of code and reason), and carry on with a fresh one. */
  private replace(id: number | undefined, reason: string, code: ReplacedCode, fix?: string, error?: BerthError): void {
    if (this.closed) return;
    const failing = this.current && (id === undefined || this.current.call.id === id) ? this.current : undefined;
    if (failing) {
      clearTimeout(failing.timer);
      this.current = undefined;
      if (code === 'BERTH_ERR_MEMORY_LIMIT') fix ??= 'raise host.memory_limit if the manager needs that much';
      failing.call.reject(error ?? new BerthError(code, `the manager ${reason}; the ${this.name} instance was replaced`, fix));
    }
    const old = this.worker;
    this.worker = undefined;
    void old?.terminate();
    this.hooks.onRestart(`${this.name} instance ${reason}`);
    this.start().then(
      () => undefined,
      () => undefined,
    );
  }
}
