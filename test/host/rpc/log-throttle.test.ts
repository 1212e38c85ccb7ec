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
});
