import { threadId } from 'node:worker_threads';
import { procStat, stillRunning, type ProcessIdentity } from './proc-stat.js';

/**
 * The programs one manager has running, counted against `host.spawn_limit`:
 * every process `exec.spawn` started that is still alive, and every
 * `exec.run` in flight. The table lives in shared memory so that both lanes,
 * each worker that replaces one, and the host's main thread (which ends the
 * spawned programs at stop, exec-stop.ts) see one count.
 *
 * A spawned program is known by pid and start time, and is looked up in
 * /proc whenever a slot is wanted, so one that ended frees its slot even if
 * the worker that started it is gone. A run is freed when spawnSync returns;
 * a worker terminated meanwhile (a missed deadline) skips that, so the main
 * thread frees the runs, and the lock, of every worker that exits
 * (releaseThread).
 */
/** host.spawn_limit when the guest config names none, and for an exec made without a shared table. */
export const DEFAULT_SPAWN_LIMIT = 8;

const LOCK = 0; // 0 free, else the holder's threadId + 1
const LIMIT = 1;
const HEADER = 2;
const FIELDS = 3; // kind, owner thread, pid
const FREE = 0;
const RUN = 1;
const SPAWNED = 2;
/** Re-check a lock whose holder may have died without releasing it (releaseThread frees it). */
const LOCK_WAIT_MS = 20;

export type SpawnedProgram = ProcessIdentity;

function layout(limit: number): { ints: number; intBytes: number; bytes: number } {
  const ints = HEADER + FIELDS * limit;
  const intBytes = Math.ceil((ints * 4) / 8) * 8; // start times follow, 8-byte aligned
  return { ints, intBytes, bytes: intBytes + 8 * limit };
}

/** A fresh table for `limit` programs: put it in the sandbox spec; every thread attaches to the same memory. */
export function createProgramTable(limit: number): SharedArrayBuffer {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`spawn limit ${limit}: must be a whole number of at least 1`);
  const buffer = new SharedArrayBuffer(layout(limit).bytes);
  Atomics.store(new Int32Array(buffer, 0, HEADER), LIMIT, limit);
  return buffer;
}

export class ProgramSlots {
  readonly limit: number;
  private readonly ints: Int32Array;
  private readonly startTimes: Float64Array;

  constructor(buffer: SharedArrayBuffer) {
    this.limit = Atomics.load(new Int32Array(buffer, 0, HEADER), LIMIT);
    const { ints, intBytes } = layout(this.limit);
    this.ints = new Int32Array(buffer, 0, ints);
    this.startTimes = new Float64Array(buffer, intBytes, this.limit);
  }

  /** Run `run` (a spawnSync) in a slot of its own; `refuse` answers when every slot is taken. */
  run<T>(run: () => T, refuse: (limit: number) => never): T {
    const slot = this.locked(() => {
      const free = this.freeSlot();
      if (free === undefined) return refuse(this.limit);
      this.claim(free, RUN, 0, 0);
      return free;
    });
    try {
      return run();
    } finally {
      this.locked(() => this.set(slot, FREE, 0, 0));
    }
  }

  /**
   * Start a detached program with `start` (returns its pid) in a slot of its
   * own. The lock is held across the fork, so two lanes cannot both take the last slot.
   */
  spawn(start: () => number, refuse: (limit: number) => never): number {
    return this.locked(() => {
      const free = this.freeSlot();
      if (free === undefined) return refuse(this.limit);
      const pid = start();
      // not reaped before this thread's loop runs again: the pid is still this process's
      this.claim(free, SPAWNED, pid, procStat(pid)?.startTime ?? 0);
      return pid;
    });
  }

  /** The spawned programs still running. */
  spawned(): SpawnedProgram[] {
    return this.locked(() => {
      this.forgetEnded();
      const found: SpawnedProgram[] = [];
      for (let slot = 0; slot < this.limit; slot++) {
        if (this.field(slot, 0) === SPAWNED) found.push({ pid: this.field(slot, 2), startTime: this.startTimes[slot]! });
      }
      return found;
    });
  }

  /** Main thread, when a worker has exited: its runs are over, and a lock it held is free. */
  releaseThread(exited: number): void {
    Atomics.compareExchange(this.ints, LOCK, exited + 1, 0);
    Atomics.notify(this.ints, LOCK);
    this.locked(() => {
      for (let slot = 0; slot < this.limit; slot++) {
        if (this.field(slot, 0) === RUN && this.field(slot, 1) === exited) this.set(slot, FREE, 0, 0);
      }
    });
  }

  private freeSlot(): number | undefined {
    this.forgetEnded();
    for (let slot = 0; slot < this.limit; slot++) if (this.field(slot, 0) === FREE) return slot;
    return undefined;
  }

  private forgetEnded(): void {
    for (let slot = 0; slot < this.limit; slot++) {
      if (this.field(slot, 0) === SPAWNED && !stillRunning(this.field(slot, 2), this.startTimes[slot]!)) this.set(slot, FREE, 0, 0);
    }
  }

  private claim(slot: number, kind: number, pid: number, startTime: number): void {
    this.startTimes[slot] = startTime;
    this.set(slot, kind, threadId, pid);
  }

  private field(slot: number, index: number): number {
    return Atomics.load(this.ints, HEADER + slot * FIELDS + index);
  }

  private set(slot: number, kind: number, owner: number, pid: number): void {
    const base = HEADER + slot * FIELDS;
    Atomics.store(this.ints, base + 1, owner);
    Atomics.store(this.ints, base + 2, pid);
    Atomics.store(this.ints, base, kind);
  }

  private locked<T>(body: () => T): T {
    const mine = threadId + 1;
    for (;;) {
      const holder = Atomics.compareExchange(this.ints, LOCK, 0, mine);
      if (holder === 0) break;
      Atomics.wait(this.ints, LOCK, holder, LOCK_WAIT_MS);
    }
    try {
      return body();
    } finally {
      Atomics.store(this.ints, LOCK, 0);
      Atomics.notify(this.ints, LOCK);
    }
  }
}
