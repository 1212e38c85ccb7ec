/**
 * Results of recent calls by request id, so that a request the server re-sends
 * after a reconnect gets the recorded answer (or joins the one still running)
 * instead of running twice. Bounded in count and in bytes: the oldest ids are
 * forgotten first. A result counts for its size once it has settled (a call
 * still running holds nothing yet); one result alone larger than the byte
 * bound is not kept past the next call.
 */
export class RecentResults<T> {
  private readonly entries = new Map<string | number, { result: Promise<T>; bytes: number }>();
  private bytes = 0;

  constructor(
    private readonly limit: number,
    private readonly byteLimit = Number.POSITIVE_INFINITY,
    /** The size a settled result is counted for (a failure counts nothing: its message is short). */
    private readonly sizeOf: (value: T) => number = () => 0,
  ) {}

  /** The recorded (or running) result for `id`, or run `execute` once and record it. */
  once(id: string | number, execute: () => Promise<T>): { result: Promise<T>; replayed: boolean } {
    const known = this.entries.get(id);
    if (known) return { result: known.result, replayed: true };
    const result = execute();
    const entry = { result, bytes: 0 };
    this.entries.set(id, entry);
    result.then(
      (value) => {
        if (this.entries.get(id) !== entry) return;
        entry.bytes = this.sizeOf(value);
        this.bytes += entry.bytes;
        this.trim(entry);
      },
      () => undefined,
    );
    this.trim(entry);
    return { result, replayed: false };
  }

  /** Forget the oldest results past the bounds, never `newest` for its bytes alone. */
  private trim(newest: { bytes: number }): void {
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.limit && this.bytes <= this.byteLimit) return;
      if (entry === newest && this.entries.size <= this.limit) return;
      this.entries.delete(id);
      this.bytes -= entry.bytes;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes of the results kept, as `sizeOf` counts them. */
  get keptBytes(): number {
    return this.bytes;
  }
}
