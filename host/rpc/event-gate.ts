import type { ManagerEvent } from '../capabilities/events.js';
import { cut } from './manager-log-limiter.js';
import { TokenBucket } from './token-bucket.js';

export interface EventLimits {
  /** Events let through at once, then `rate` a second. */
  burst: number;
  rate: number;
}

/** A progress message and its operation name are the manager's word: kept short. */
const MESSAGE_CHARS = 1024;
const OPERATION_CHARS = 128;

function bounded(event: ManagerEvent): ManagerEvent {
  if (event.tag === 'status') return event;
  const { operation, percent, message } = event.val;
  return { tag: 'progress', val: { operation: cut(operation, OPERATION_CHARS), percent, message: cut(message, MESSAGE_CHARS) } };
}

/**
 * The events of one manager on their way to the server: a token bucket, and
 * past it coalescing. Only the latest progress matters, and only the latest
 * status, so an event that finds no token waits in its kind's one slot,
 * replacing the one waiting there (counted as coalesced), and goes out when
 * the next token comes. A flood of any size becomes at most burst + rate x
 * time casts, and at most two held.
 */
export class EventGate {
  private readonly bucket: TokenBucket;
  private readonly waiting = new Map<ManagerEvent['tag'], ManagerEvent>();
  private timer: NodeJS.Timeout | undefined;
  private coalesced = 0;

  constructor(
    limits: EventLimits,
    private readonly forward: (event: ManagerEvent) => void,
    private readonly reportCoalesced: (coalesced: number) => void,
    now: () => number = Date.now,
  ) {
    this.bucket = new TokenBucket(limits.burst, limits.rate, now);
  }

  publish(event: ManagerEvent): void {
    const kept = bounded(event);
    if (this.waiting.has(kept.tag)) {
      // a newer one of its kind supersedes the one waiting
      this.coalesced++;
      this.waiting.set(kept.tag, kept);
      return this.drain();
    }
    if (this.waiting.size === 0 && this.bucket.take()) return this.forward(kept);
    this.waiting.set(kept.tag, kept);
    this.drain();
  }

  /** Reports the events coalesced away since the last report, if any. */
  report(): void {
    if (this.coalesced === 0) return;
    const coalesced = this.coalesced;
    this.coalesced = 0;
    this.reportCoalesced(coalesced);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private drain(): void {
    for (const [tag, event] of this.waiting) {
      if (!this.bucket.take()) break;
      this.waiting.delete(tag);
      this.forward(event);
    }
    if (this.waiting.size === 0 || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, this.bucket.waitMs);
    this.timer.unref?.();
  }
}
