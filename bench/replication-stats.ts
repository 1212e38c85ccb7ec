/**
 * Pure arithmetic of bench/replication.ts: replica lag from the times each
 * write was acknowledged on the primary and first read on the replica, the
 * acknowledged writes a primary no longer holds, and the writer's schedule.
 * Importing this module runs nothing.
 */
import { percentile } from './support.js';

export interface LagFigures {
  /** Writes both acknowledged and seen on the replica. */
  samples: number;
  p50: number;
  p99: number;
  max: number;
  /** Of those, read on the replica before the primary's acknowledgement reached the writer (counted as 0 ms). */
  seenBeforeAck: number;
  /** Acknowledged writes the replica never showed before the poll gave up. */
  neverSeen: number;
}

/**
 * Lag of each acknowledged write: first seen on the replica minus acknowledged
 * on the primary, ms. A replica may show a write before its acknowledgement
 * has travelled back to the client; that lag is 0, and counted.
 */
export function lagFigures(acknowledged: ReadonlyMap<number, number>, seen: ReadonlyMap<number, number>): LagFigures {
  const lags: number[] = [];
  let seenBeforeAck = 0;
  let neverSeen = 0;
  for (const [n, ackAt] of acknowledged) {
    const seenAt = seen.get(n);
    if (seenAt === undefined) {
      neverSeen++;
      continue;
    }
    if (seenAt < ackAt) seenBeforeAck++;
    lags.push(Math.max(0, seenAt - ackAt));
  }
  if (lags.length === 0) return { samples: 0, p50: NaN, p99: NaN, max: NaN, seenBeforeAck, neverSeen };
  return { samples: lags.length, p50: percentile(lags, 50), p99: percentile(lags, 99), max: Math.max(...lags), seenBeforeAck, neverSeen };
}

/**
 * The replica's highest write went from `before` to `now` at time `at`:
 * every write in between is seen from then on (writes apply in order on
 * one replication stream), unless it was seen earlier.
 */
export function markSeen(seen: Map<number, number>, before: number, now: number, at: number): void {
  for (let n = before + 1; n <= now; n++) if (!seen.has(n)) seen.set(n, at);
}

/** Acknowledged writes (their numbers) that `present` lacks. */
export function lostWrites(acknowledged: Iterable<number>, present: ReadonlySet<number>): number[] {
  return [...acknowledged].filter((n) => !present.has(n));
}

/**
 * How long the writer waits before its next write, at `rate` writes a second
 * from `startedAt` (ms), `done` writes in: none when it is behind.
 */
export function delayBefore(startedAt: number, done: number, rate: number, now: number): number {
  return Math.max(0, startedAt + (done * 1000) / rate - now);
}
