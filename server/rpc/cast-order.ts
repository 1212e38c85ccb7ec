import type { CastName } from '../../host/rpc/protocol.js';

interface Position {
  sentAt: number;
  seq: number;
}

export type Admission = { admitted: true; sentAt: number } | { admitted: false; refusal?: string };

/**
 * Which of a guest's casts the server takes, in order. The time a guest puts
 * on a cast is its word, not a fact: one dated far ahead would be taken as the
 * newest for good and every real one after it dropped as out of order. So a
 * cast dated more than `skewMs` ahead of the server's clock is refused, and
 * the time it is ordered (and stored) by is never later than when the server
 * received it: nothing a guest sends can hold back the casts after it.
 * Heartbeats and events are ordered each among their own kind, so that a
 * flood or a bad date of one kind never holds back the other.
 */
export class CastOrder {
  private readonly last = new Map<string, Position>();

  constructor(
    private readonly skewMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  admit(instanceId: string, kind: CastName, cast: Position): Admission {
    const now = this.now();
    if (cast.sentAt > now + this.skewMs) {
      return { admitted: false, refusal: `${kind} dated ${Math.round((cast.sentAt - now) / 1000)} s ahead of the server's clock (at most ${this.skewMs / 1000} s): refused; set the guest's clock (NTP)` };
    }
    const position = { sentAt: Math.min(cast.sentAt, now), seq: cast.seq };
    const key = `${kind}:${instanceId}`;
    const last = this.last.get(key);
    if (last && (position.sentAt < last.sentAt || (position.sentAt === last.sentAt && position.seq <= last.seq))) return { admitted: false };
    this.last.set(key, position);
    return { admitted: true, sentAt: position.sentAt };
  }

  /** The instance is gone (deleted): forget where its casts were. */
  forget(instanceId: string): void {
    for (const kind of ['guest.heartbeat', 'guest.event'] as const) this.last.delete(`${kind}:${instanceId}`);
  }
}
