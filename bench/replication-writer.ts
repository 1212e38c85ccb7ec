/**
 * The steady load of bench/replication.ts: one client writing ledger
 * entries at a fixed rate to whichever guest is the primary now (the bench
 * moves it at a switchover or an eject), each number tried once, the time
 * of each acknowledgement kept; and a poller reading a replica's highest
 * entry, which marks every entry up to it as seen. Importing this module runs nothing.
 */
import { delayBefore, markSeen } from './replication-stats.js';
import type { Ledger } from './replication-targets.js';
import { sleep } from './support.js';

export interface Acknowledgement {
  at: number;
  on: Ledger;
}

export class Writer {
  readonly acknowledged = new Map<number, Acknowledgement>();
  failures = 0;
  /** The last failed write's error, to say why when no write succeeds. */
  lastError: unknown;
  private target: Ledger;
  private stopping = false;
  private readonly done: Promise<void>;

  constructor(initial: Ledger, rate: number, first = 1) {
    this.target = initial;
    this.done = this.run(rate, first);
  }

  /** From the next write on, write to `ledger`. */
  moveTo(ledger: Ledger): void {
    this.target = ledger;
  }

  /** The first acknowledgement `ledger` gave at or after `since` (ms, performance.now), waited for. */
  async firstAcknowledgement(ledger: Ledger, since: number, timeoutMs = 60_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      for (const ack of this.acknowledged.values()) if (ack.on === ledger && ack.at >= since) return ack.at;
      if (performance.now() > deadline) throw new Error(`no write acknowledged within ${timeoutMs} ms; the last failure: ${String(this.lastError)}`);
      await sleep(1);
    }
  }

  /** The numbers of the writes `ledger` acknowledged, or all of them. */
  numbers(ledger?: Ledger): number[] {
    return [...this.acknowledged].filter(([, ack]) => !ledger || ack.on === ledger).map(([n]) => n);
  }

  last(): number {
    return Math.max(0, ...this.acknowledged.keys());
  }

  async stop(): Promise<number> {
    this.stopping = true;
    await this.done;
    return this.next - 1;
  }

  private next = 1;

  private async run(rate: number, first: number): Promise<void> {
    this.next = first;
    let startedAt = performance.now();
    let scheduled = 0;
    while (!this.stopping) {
      const now = performance.now();
      // after a stall (a refused or dead primary) the schedule starts over instead of bursting to catch up
      if (now - (startedAt + (scheduled * 1000) / rate) > 250) {
        startedAt = now;
        scheduled = 0;
      }
      await sleep(delayBefore(startedAt, scheduled, rate, now));
      scheduled++;
      const n = this.next++;
      const on = this.target;
      try {
        await on.write(n);
        this.acknowledged.set(n, { at: performance.now(), on });
      } catch (error) {
        this.failures++;
        this.lastError = error;
        await sleep(2);
      }
    }
  }
}

/** Reads `ledger`'s highest entry every `intervalMs` until stopped, marking entries seen. */
export class Poller {
  readonly seen = new Map<number, number>();
  private highest = 0;
  private stopping = false;
  private readonly done: Promise<void>;

  constructor(private readonly ledger: Ledger, intervalMs: number) {
    this.done = this.run(intervalMs);
  }

  /** Until the replica shows `n` (or `timeoutMs` passes); whether it did. */
  async reach(n: number, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.highest < n && performance.now() < deadline) await sleep(5);
    return this.highest >= n;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.done;
  }

  private async run(intervalMs: number): Promise<void> {
    while (!this.stopping) {
      try {
        const now = await this.ledger.highest();
        markSeen(this.seen, this.highest, now, performance.now());
        this.highest = Math.max(this.highest, now);
      } catch {
        // a replica restarting (a re-point) answers again shortly
      }
      await sleep(intervalMs);
    }
  }
}
