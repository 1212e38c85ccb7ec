/**
 * Results of recent calls by request id, so that a request the server re-sends
 * after a reconnect gets the recorded answer (or joins the one still running)
 * instead of running twice. Bounded: the oldest ids are forgotten first.
 */
export class RecentResults<T> {
  private readonly entries = new Map<string | number, Promise<T>>();

  constructor(private readonly limit: number) {}

  /** The recorded (or running) result for `id`, or run `execute` once and record it. */
  once(id: string | number, execute: () => Promise<T>): { result: Promise<T>; replayed: boolean } {
    const known = this.entries.get(id);
    if (known) return { result: known, replayed: true };
    const result = execute();
    this.entries.set(id, result);
    while (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value!);
    return { result, replayed: false };
  }

  get size(): number {
    return this.entries.size;
  }
}
