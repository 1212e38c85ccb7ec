import { describe, expect, it } from 'vitest';
import { CastOrder } from '../../server/rpc/cast-order.js';

describe('CastOrder', () => {
  const now = 1_000_000;

  it('refuses a cast dated past the skew, and takes the ones after it', () => {
    const order = new CastOrder(30_000, () => now);
    expect(order.admit('i', 'guest.heartbeat', { sentAt: 8.64e15, seq: 0 })).toMatchObject({ admitted: false, refusal: expect.any(String) });
    expect(order.admit('i', 'guest.heartbeat', { sentAt: now - 10, seq: 1 })).toEqual({ admitted: true, sentAt: now - 10 });
  });

  it('orders a cast a little ahead by the time it arrived, so it cannot hold back the next real one', () => {
    let clock = now;
    const order = new CastOrder(30_000, () => clock);
    expect(order.admit('i', 'guest.heartbeat', { sentAt: now + 20_000, seq: Number.MAX_SAFE_INTEGER })).toEqual({ admitted: true, sentAt: now });
    clock = now + 200;
    expect(order.admit('i', 'guest.heartbeat', { sentAt: now + 200, seq: 0 })).toEqual({ admitted: true, sentAt: now + 200 });
  });

  it('drops older casts, each kind on its own, and forgets a deleted instance', () => {
    const order = new CastOrder(30_000, () => now);
    expect(order.admit('i', 'guest.event', { sentAt: now - 5, seq: 9 }).admitted).toBe(true);
    expect(order.admit('i', 'guest.event', { sentAt: now - 5, seq: 9 }).admitted).toBe(false);
    expect(order.admit('i', 'guest.event', { sentAt: now - 6, seq: 10 }).admitted).toBe(false);
    // an event never holds back a heartbeat
    expect(order.admit('i', 'guest.heartbeat', { sentAt: now - 100, seq: 1 }).admitted).toBe(true);
    order.forget('i');
    expect(order.admit('i', 'guest.event', { sentAt: now - 100, seq: 0 }).admitted).toBe(true);
  });
});
