import { describe, expect, it } from 'vitest';
import { LogThrottle } from '../../../host/rpc/log-throttle.js';

describe('LogThrottle', () => {
  it('admits `limit` lines a window, counts the rest, and reports the count when the next window opens', () => {
    let now = 0;
    const throttle = new LogThrottle(2, 1000, () => now);
    expect([throttle.admit(), throttle.admit(), throttle.admit(), throttle.admit()].map((a) => a.log)).toEqual([true, true, false, false]);
    now = 999;
    expect(throttle.admit()).toEqual({ log: false, suppressedBefore: 0 });
    now = 1000;
    expect(throttle.admit()).toEqual({ log: true, suppressedBefore: 3 });
    expect(throttle.admit()).toEqual({ log: true, suppressedBefore: 0 });
  });

  it('warns through a logger: the admitted lines, then the count held back once the next window opens', () => {
    let now = 0;
    const throttle = new LogThrottle(1, 1000, () => now);
    const lines: Array<[object, string]> = [];
    const log = { warn: (fields: object, message: string) => void lines.push([fields, message]) };
    for (let i = 0; i < 3; i++) throttle.warn(log, { i }, 'bad frame');
    now = 1000;
    throttle.warn(log, { i: 3 }, 'bad frame');
    expect(lines).toEqual([
      [{ i: 0 }, 'bad frame'],
      [{ suppressed: 2 }, 'bad frame: 2 more not logged (too many)'],
      [{ i: 3 }, 'bad frame'],
    ]);
  });
});
