import type { ManagerLogEntry } from '../capabilities/logging.js';
import { TokenBucket } from './token-bucket.js';

export interface ManagerLogLimits {
  /** Lines let through at once, then `rate` a second. */
  burst: number;
  rate: number;
  /** Longest message kept, in characters; the rest is cut with a note of how much. */
  lineLimit: number;
}

/** The operation name a line is tagged with is the manager's word too. */
const CONTEXT_CHARS = 128;

/** Cuts `text` to `limit` characters, saying how many went. */
export function cut(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}... (${text.length - limit} more characters cut)`;
}

/**
 * The host's sink for one manager's log lines (both lanes share it): a token
 * bucket per manager, each line cut to a length, and the lines dropped
 * counted and reported by `report()`, which the host calls periodically. A
 * manager may log as fast as it likes; what reaches the operator's log is
 * bounded by burst + rate x time, each line by `lineLimit`.
 */
export class ManagerLogLimiter {
  private readonly bucket: TokenBucket;
  private dropped = 0;

  constructor(
    private readonly limits: ManagerLogLimits,
    private readonly write: (entry: ManagerLogEntry, lane: string) => void,
    private readonly reportDropped: (dropped: number) => void,
    now: () => number = Date.now,
  ) {
    this.bucket = new TokenBucket(limits.burst, limits.rate, now);
  }

  log(entry: ManagerLogEntry, lane: string): void {
    if (!this.bucket.take()) {
      this.dropped++;
      return;
    }
    this.write({ level: entry.level, context: cut(entry.context, CONTEXT_CHARS), message: cut(entry.message, this.limits.lineLimit) }, lane);
  }

  /** Reports the lines dropped since the last report, if any. */
  report(): void {
    if (this.dropped === 0) return;
    const dropped = this.dropped;
    this.dropped = 0;
    this.reportDropped(dropped);
  }
}
