import type { CastName, CastParams } from './protocol.js';

export interface QueuedCast {
  name: CastName;
  params: CastParams<CastName>;
}

/**
 * Casts waiting for a connection, in the order they were made. Bounded: when
 * full, the oldest go first and the count of dropped ones is kept for the log.
 */
export class CastQueue {
  private readonly items: QueuedCast[] = [];
  dropped = 0;

  constructor(private readonly limit: number) {}

  push(cast: QueuedCast): void {
    this.items.push(cast);
    while (this.items.length > this.limit) {
      this.items.shift();
      this.dropped++;
    }
  }

  /** Send in order until `send` refuses; what it refused stays first in line. */
  flush(send: (cast: QueuedCast) => boolean): number {
    let sent = 0;
    while (this.items.length > 0 && send(this.items[0]!)) {
      this.items.shift();
      sent++;
    }
    return sent;
  }

  get length(): number {
    return this.items.length;
  }
}
