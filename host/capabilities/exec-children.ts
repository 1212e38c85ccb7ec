import { spawn, type ChildProcess } from 'node:child_process';
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { SpawnedSignal, SpawnedStatus } from '../generated/interfaces/berth-datastore-exec.js';
import type { ProgramSlots } from './exec-slots.js';
import { procStat } from './proc-stat.js';

/**
 * The owner of the programs `exec.spawn` starts: one per host, in the host's
 * main thread. A child is reaped by the event loop of the thread that spawned
 * it (libuv waits only for its own loop's children), so a program spawned
 * from a lane's worker thread stayed a zombie for good once that worker was
 * terminated (the slow lane stops when idle; a lane is replaced after a
 * deadline): issue 17. Workers therefore ask this owner, synchronously, to
 * start the program; it keeps the ChildProcess, reaps it, and remembers how
 * it ended. Because the owner reaps its children itself, a pid it still
 * holds as running cannot have been given to another process: that is what
 * lets `exec.signal` signal a pid safely (start time checked as well).
 */

/** What a worker asks the owner to start: the program already checked against the grant, the log opened. */
export interface SpawnOrder {
  /** The granted name, as given (for messages). */
  program: string;
  /** The resolved executable, and the name it is started by (multi-call programs). */
  real: string;
  argv0: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** The log file, opened for appending by the asking thread, which closes it once answered (threads share fds). */
  logFd: number;
}

export type ChildRequest = { op: 'spawn'; order: SpawnOrder } | { op: 'signal'; pid: number; sig: SpawnedSignal } | { op: 'status'; pid: number };

export type ChildAnswer =
  | { ok: 'spawned'; pid: number }
  | { ok: 'signalled' }
  | { ok: 'status'; status: SpawnedStatus }
  | { overLimit: number }
  | { denied: string }
  | { failed: string };

/** Answers child requests synchronously: the owner itself, or a worker's line to it. */
export interface ChildOwner {
  request(request: ChildRequest): ChildAnswer;
}

const SIGNALS: Record<SpawnedSignal, NodeJS.Signals> = { term: 'SIGTERM', int: 'SIGINT', hup: 'SIGHUP', kill: 'SIGKILL' };

interface Known {
  child: ChildProcess;
  startTime: number;
  ended?: { exitCode: number | undefined; signal: string | undefined };
}

/** At least this many ended programs are remembered for `status`. */
const REMEMBERED_ENDED = 16;

class OverLimit {
  constructor(readonly limit: number) {}
}

export class SpawnedChildren implements ChildOwner {
  private readonly known = new Map<number, Known>();
  private readonly remembered: number;

  constructor(private readonly slots: ProgramSlots) {
    this.remembered = Math.max(REMEMBERED_ENDED, slots.limit);
  }

  request(request: ChildRequest): ChildAnswer {
    if (request.op === 'spawn') return this.spawn(request.order);
    if (request.op === 'signal') return this.signal(request.pid, request.sig);
    return this.status(request.pid);
  }

  /** The pids of the programs spawned that have not ended (for tests and the host's stop). */
  running(): number[] {
    return [...this.known.entries()].filter(([, known]) => !known.ended).map(([pid]) => pid);
  }

  private spawn(order: SpawnOrder): ChildAnswer {
    try {
      const pid = this.slots.spawn(
        () => this.start(order),
        (limit) => {
          throw new OverLimit(limit);
        },
      );
      return { ok: 'spawned', pid };
    } catch (error) {
      if (error instanceof OverLimit) return { overLimit: error.limit };
      return { failed: `program ${order.program}: could not start ${order.real}: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  private start(order: SpawnOrder): number {
    const child = spawn(order.real, order.args, {
      // multi-call programs dispatch on the name they were started by, as with `run`
      argv0: order.argv0,
      cwd: order.cwd,
      env: order.env,
      stdio: ['ignore', order.logFd, order.logFd],
      // setsid(): no signal meant for the host's process group or terminal reaches it
      detached: true,
      shell: false,
    });
    // a start failure (ENOENT, EACCES) is also emitted later as 'error': unheard, it would crash the host
    child.on('error', () => undefined);
    // it must not keep the host alive; it is reaped all the same while the host runs
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error('it did not start');
    // not reaped before this thread's loop runs again: the pid is still this process's child
    const known: Known = { child, startTime: procStat(pid)?.startTime ?? 0 };
    this.known.set(pid, known);
    child.once('exit', (code, signal) => {
      known.ended = { exitCode: code ?? undefined, signal: signal ?? undefined };
      this.forgetOldest();
    });
    return pid;
  }

  private signal(pid: number, sig: SpawnedSignal): ChildAnswer {
    const signal = SIGNALS[sig];
    if (signal === undefined) return { denied: `signal ${String(sig)}: not one a spawned program may be sent` };
    const known = this.lookup(pid);
    if ('denied' in known) return known;
    if (known.ended || known.child.exitCode !== null || known.child.signalCode !== null) return { denied: `pid ${pid}: the program this host spawned with it has ended` };
    // reaped by this thread alone, so still this host's child; the start time says it is the same process
    const stat = procStat(pid);
    if (!stat || stat.startTime !== known.startTime) return { denied: `pid ${pid}: the program this host spawned with it has ended` };
    try {
      process.kill(pid, signal);
      return { ok: 'signalled' };
    } catch (error) {
      return { failed: `pid ${pid}: ${signal} could not be sent: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
    }
  }

  private status(pid: number): ChildAnswer {
    const known = this.lookup(pid);
    if ('denied' in known) return known;
    if (!known.ended) return { ok: 'status', status: { running: true, exitCode: undefined, signal: undefined } };
    return { ok: 'status', status: { running: false, ...known.ended } };
  }

  private lookup(pid: number): Known | { denied: string } {
    const known = Number.isInteger(pid) ? this.known.get(pid) : undefined;
    return known ?? { denied: `pid ${pid}: not a program this host spawned (or one that ended long ago)` };
  }

  /** Keep every running program and the latest of those that ended. */
  private forgetOldest(): void {
    const ended = [...this.known.entries()].filter(([, known]) => known.ended);
    // a Map keeps insertion order: the oldest spawn first
    for (const [pid] of ended.slice(0, Math.max(0, ended.length - this.remembered))) this.known.delete(pid);
  }

  /** Main thread: answer the requests a worker sends on `port` (see childOwnerLine). */
  serve(port: MessagePort, answered: Int32Array): void {
    port.on('message', (envelope: Envelope<ChildRequest>) => {
      let body: ChildAnswer;
      try {
        body = this.request(envelope.body);
      } catch (error) {
        body = { failed: error instanceof Error ? error.message : String(error) };
      }
      port.postMessage({ id: envelope.id, body } satisfies Envelope<ChildAnswer>);
      Atomics.add(answered, 0, 1);
      Atomics.notify(answered, 0);
    });
    // the worker's end closes when the worker goes: nothing to keep the host alive for
    port.unref();
  }
}

interface Envelope<T> {
  id: number;
  body: T;
}

/** How long a worker waits for the owner (the main thread runs only short synchronous work). */
const OWNER_WAIT_MS = 10_000;

/**
 * A worker's synchronous line to the owner in the main thread. `announce`
 * posts the far end of the line to the parent, which serves it with
 * SpawnedChildren.serve. The worker blocks in Atomics.wait until answered.
 */
export function childOwnerLine(announce: (port: MessagePort, answered: Int32Array) => void, waitMs = OWNER_WAIT_MS): ChildOwner {
  const { port1, port2 } = new MessageChannel();
  const answered = new Int32Array(new SharedArrayBuffer(4));
  announce(port2, answered);
  port1.unref();
  let nextId = 1;
  return {
    request(request: ChildRequest): ChildAnswer {
      const id = nextId++;
      port1.postMessage({ id, body: request } satisfies Envelope<ChildRequest>);
      const deadline = Date.now() + waitMs;
      for (;;) {
        const seen = Atomics.load(answered, 0);
        // answers to earlier requests that gave up waiting are dropped here
        for (let message = receiveMessageOnPort(port1); message; message = receiveMessageOnPort(port1)) {
          const envelope = message.message as Envelope<ChildAnswer>;
          if (envelope.id === id) return envelope.body;
        }
        const left = deadline - Date.now();
        if (left <= 0 || Atomics.wait(answered, 0, seen, left) === 'timed-out') return { failed: `the host's main thread did not answer within ${waitMs} ms` };
      }
    },
  };
}
