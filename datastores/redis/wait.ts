/**
 * Operations are synchronous and the component has no timer to block on, so
 * waiting for redis-server is polling; the pause between polls spins rather
 * than sleeps, but keeps the polls themselves (each a round trip through the
 * host) from flooding the connection and the log.
 */
export function pause(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // no sleep inside a component
  }
}

const POLL_MS = 50;

/** Poll `check` until it returns a value or `timeoutMs` passes; then `onTimeout` says what to throw. */
export function waitFor<T>(timeoutMs: number, check: () => T | undefined, onTimeout: () => unknown): T {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw onTimeout();
    pause(POLL_MS);
  }
}
