import type { CastName, CastParams } from './protocol.js';
import { encodeWire } from './wire-values.js';

export interface QueuedCast {
  name: CastName;
  params: CastParams<CastName>;
}

interface Held {
  cast: QueuedCast;
  bytes: number;
}

/**
 * Casts waiting for a connection, in the order they were made. Bounded in
 * count and in bytes: when either is passed, the oldest go first and the
 * count of dropped ones is kept for the log. (Heartbeats do not wait here:
 * the link keeps only its latest, and sends it ahead of these.)
 */
export class CastQueue {
  private readonly items: Held[] = [];
  private bytes = 0;
  dropped = 0;

  constructor(
    private readonly limit: number,
    private readonly byteLimit: number = 4 * 1024 * 1024,
  ) {}

  push(cast: QueuedCast): void {
    const held = { cast, bytes: encodeWire(cast.params).length };
    this.items.push(held);
    this.bytes += held.bytes;
    while (this.items.length > this.limit || (this.bytes > this.byteLimit && this.items.length > 0)) {
      this.bytes -= this.items.shift()!.bytes;
      this.dropped++;
    }
  }

  /** Send in order until `send` refuses; what it refused stays first in line. */
  flush(send: (cast: QueuedCast) => boolean): number {
    let sent = 0;
    while (this.items.length > 0 && send(this.items[0]!.cast)) {
      this.bytes -= this.items.shift()!.bytes;
      sent++;
    }
    return sent;
  }

  get length(): number {
    return this.items.length;
  }
}
