import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ManagerEvent } from '../../../host/capabilities/events.js';
import type { ManagerLogEntry } from '../../../host/capabilities/logging.js';
import { CastQueue } from '../../../host/rpc/cast-queue.js';
import { EventGate } from '../../../host/rpc/event-gate.js';
import { ManagerLogLimiter } from '../../../host/rpc/manager-log-limiter.js';
import { TokenBucket } from '../../../host/rpc/token-bucket.js';

afterEach(() => {
  vi.useRealTimers();
});

const progress = (n: number): ManagerEvent => ({ tag: 'progress', val: { operation: 'create-backup', percent: n, message: `step ${n}` } });

describe('TokenBucket', () => {
  it('gives a burst at once, then tokens at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(3, 2, () => now);
    expect([1, 2, 3, 4].map(() => bucket.take())).toEqual([true, true, true, false]);
    expect(bucket.waitMs).toBe(500);
    now = 500;
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    // never more than the burst, however long it waited
    now = 1_000_000;
    expect([1, 2, 3, 4].map(() => bucket.take())).toEqual([true, true, true, false]);
  });
});

describe('ManagerLogLimiter', () => {
  it('lets a burst and then the rate through, cuts long lines, and reports what it dropped', () => {
    let now = 0;
    const written: ManagerLogEntry[] = [];
    const reports: number[] = [];
    const limiter = new ManagerLogLimiter({ burst: 2, rate: 1, lineLimit: 100 }, (entry) => written.push(entry), (dropped) => reports.push(dropped), () => now);
    for (let i = 0; i < 10; i++) limiter.log({ level: 'info', context: 'c'.repeat(1000), message: 'x'.repeat(1000) }, 'quick');
    now = 1000;
    limiter.log({ level: 'info', context: 'op', message: 'short' }, 'slow');
    limiter.report();
    limiter.report();
    expect(written.map((entry) => entry.message.slice(0, 5))).toEqual(['xxxxx', 'xxxxx', 'short']);
    expect(written[0]!.message.length).toBeLessThan(150);
    expect(written[0]!.context.length).toBeLessThan(200);
    expect(reports).toEqual([8]);
  });
});

describe('EventGate', () => {
  it('forwards a burst, keeps only the latest of each kind past it, and sends that when a token comes', () => {
    vi.useFakeTimers();
    const forwarded: ManagerEvent[] = [];
    const reports: number[] = [];
    const gate = new EventGate({ burst: 2, rate: 10 }, (event) => forwarded.push(event), (n) => reports.push(n), () => Date.now());
    for (let i = 0; i < 1000; i++) gate.publish(progress(i));
    gate.publish({ tag: 'status', val: 'running' });
    expect(forwarded.map((e) => (e.tag === 'progress' ? e.val.percent : e.val))).toEqual([0, 1]);
    vi.advanceTimersByTime(1000);
    // the latest progress and the status, nothing in between
    expect(forwarded.map((e) => (e.tag === 'progress' ? e.val.percent : e.val))).toEqual([0, 1, 999, 'running']);
    gate.report();
    expect(reports).toEqual([997]);
    expect(forwarded.length + reports[0]!).toBe(1001);
    gate.close();
  });

  it('cuts a progress message and operation name to a length', () => {
    const forwarded: ManagerEvent[] = [];
    const gate = new EventGate({ burst: 1, rate: 1 }, (event) => forwarded.push(event), () => undefined);
    gate.publish({ tag: 'progress', val: { operation: 'o'.repeat(10_000), message: 'm'.repeat(1_000_000), percent: undefined } });
    const sent = forwarded[0] as Extract<ManagerEvent, { tag: 'progress' }>;
    expect(sent.val.message.length).toBeLessThan(1100);
    expect(sent.val.operation.length).toBeLessThan(200);
    gate.close();
  });
});

describe('CastQueue', () => {
  it('drops the oldest past its byte bound as well as its count, and counts them', () => {
    const queue = new CastQueue(1000, 1000);
    for (let i = 0; i < 20; i++) queue.push({ name: 'guest.event', params: { seq: i, sentAt: 0, event: { tag: 'progress', val: { message: 'x'.repeat(100) } } } });
    expect(queue.length).toBeLessThan(10);
    expect(queue.dropped).toBe(20 - queue.length);
    const seqs: number[] = [];
    queue.flush((cast) => seqs.push(cast.params.seq) > 0);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => 20 - seqs.length + i));
  });
});
