/**
 * At most `limit` log lines of one kind per window; the rest are counted and
 * the count is logged once the next window opens. A peer that sends a flood
 * of bad frames gets every one answered, but cannot flood the operator's log,
 * nor the host's memory: log output a slow reader has not taken yet waits in
 * memory (found by the frame fuzz test: 100 bytes held per bad frame).
 */
export class LogThrottle {
  private windowStart = Number.NEGATIVE_INFINITY;
  private inWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether to log this occurrence, and how many went unlogged in the window that just closed. */
  admit(): { log: boolean; suppressedBefore: number } {
    const now = this.now();
    let suppressedBefore = 0;
    if (now - this.windowStart >= this.windowMs) {
      suppressedBefore = this.suppressed;
      this.windowStart = now;
      this.inWindow = 0;
      this.suppressed = 0;
    }
    if (this.inWindow < this.limit) {
      this.inWindow++;
      return { log: true, suppressedBefore };
    }
    this.suppressed++;
    return { log: false, suppressedBefore };
  }

  /**
   * `log.warn(fields, message)` if this occurrence is admitted; first, when a
   * window just closed with lines held back, one line with their count.
   */
  warn(log: { warn(fields: object, message: string): void }, fields: object, message: string): void {
    const { log: admitted, suppressedBefore } = this.admit();
    if (suppressedBefore > 0) log.warn({ suppressed: suppressedBefore }, `${message}: ${suppressedBefore} more not logged (too many)`);
    if (admitted) log.warn(fields, message);
  }
}
