/**
 * Runs work one at a time per key, in arrival order; different keys run
 * concurrently. In-process only: the control plane is one server process.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    // the next holder waits for this one to end, however it ends
    const current = previous.then(() => work(), () => work());
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
