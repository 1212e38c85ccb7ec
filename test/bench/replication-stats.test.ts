// The arithmetic of bench/replication.ts: no speed figures here, only that it answers right.
import { describe, expect, it } from 'vitest';
import { delayBefore, lagFigures, lostWrites, markSeen } from '../../bench/replication-stats.js';

describe('replication bench helpers', () => {
  it('takes each write\'s lag from its acknowledgement to its first read on the replica', () => {
    const acknowledged = new Map(Array.from({ length: 100 }, (_, i) => [i + 1, 1000 + i * 10] as const));
    // write n is seen n ms after its acknowledgement
    const seen = new Map([...acknowledged].map(([n, at]) => [n, at + n] as const));
    expect(lagFigures(acknowledged, seen)).toEqual({ samples: 100, p50: 51, p99: 100, max: 100, seenBeforeAck: 0, neverSeen: 0 });
  });

  it('counts a write seen before its acknowledgement as no lag, and one never seen apart', () => {
    const acknowledged = new Map([
      [1, 100],
      [2, 200],
      [3, 300],
    ]);
    const seen = new Map([
      [1, 90],
      [2, 230],
    ]);
    expect(lagFigures(acknowledged, seen)).toEqual({ samples: 2, p50: 30, p99: 30, max: 30, seenBeforeAck: 1, neverSeen: 1 });
    expect(lagFigures(acknowledged, new Map()).samples).toBe(0);
  });

  it('marks every write up to the replica\'s highest as seen when it first reaches it', () => {
    const seen = new Map<number, number>();
    markSeen(seen, 0, 3, 50);
    markSeen(seen, 3, 5, 60);
    markSeen(seen, 2, 5, 70);
    expect([...seen]).toEqual([
      [1, 50],
      [2, 50],
      [3, 50],
      [4, 60],
      [5, 60],
    ]);
  });

  it('names the acknowledged writes a primary lacks', () => {
    expect(lostWrites([1, 2, 3, 5], new Set([1, 3, 4]))).toEqual([2, 5]);
    expect(lostWrites([], new Set([1]))).toEqual([]);
  });

  it('paces the writer at its rate and lets it run when behind', () => {
    // 200 writes a second: the 10th is due 50 ms after the start
    expect(delayBefore(1000, 10, 200, 1020)).toBe(30);
    expect(delayBefore(1000, 10, 200, 1080)).toBe(0);
  });
});
