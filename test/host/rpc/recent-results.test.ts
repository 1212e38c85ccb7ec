import { describe, expect, it } from 'vitest';
import { RecentResults } from '../../../host/rpc/recent-results.js';

const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('recent results', () => {
  it('answers a repeated id from the record without running it again', async () => {
    const results = new RecentResults<string>(10);
    let runs = 0;
    const first = results.once('a', async () => `run ${++runs}`);
    const again = results.once('a', async () => `run ${++runs}`);
    expect(again.replayed).toBe(true);
    await expect(again.result).resolves.toBe('run 1');
    expect(first.replayed).toBe(false);
  });

  it('keeps at most `limit` ids, forgetting the oldest', async () => {
    const results = new RecentResults<number>(3);
    for (let i = 0; i < 5; i++) results.once(`id-${i}`, async () => i);
    expect(results.size).toBe(3);
    expect(results.once('id-0', async () => -1).replayed).toBe(false);
    expect(results.once('id-4', async () => -1).replayed).toBe(true);
  });

  it('keeps at most `byteLimit` bytes of results, forgetting the oldest (regression: 1000 answers of any size were kept)', async () => {
    const results = new RecentResults<string>(1000, 10, (value) => value.length);
    for (const id of ['a', 'b', 'c', 'd']) results.once(id, async () => id.repeat(4));
    await settled();
    // four of four bytes do not fit in ten: the two newest stay
    expect(results.keptBytes).toBe(8);
    expect(results.size).toBe(2);
    expect(results.once('d', async () => 'again').replayed).toBe(true);
    expect(results.once('c', async () => 'again').replayed).toBe(true);
    expect(results.once('a', async () => 'again').replayed).toBe(false);
  });

  it('keeps the newest result even alone past the bound, until the next call', async () => {
    const results = new RecentResults<string>(1000, 10, (value) => value.length);
    results.once('big', async () => 'x'.repeat(50));
    await settled();
    expect(results.once('big', async () => 'again').replayed).toBe(true);
    results.once('next', async () => 'y');
    await settled();
    expect(results.keptBytes).toBe(1);
    expect(results.once('big', async () => 'again').replayed).toBe(false);
  });

  it('counts a running call for nothing and a failed one for nothing', async () => {
    let finish: (value: string) => void = () => undefined;
    const results = new RecentResults<string>(1000, 10, (value) => value.length);
    results.once('running', () => new Promise((resolve) => (finish = resolve)));
    results.once('failed', () => Promise.reject(new Error('no'))).result.catch(() => undefined);
    await settled();
    expect(results.keptBytes).toBe(0);
    finish('1234');
    await settled();
    expect(results.keptBytes).toBe(4);
  });
});
