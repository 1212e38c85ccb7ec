import type { EtcdContext } from './options.js';

export const SLEEP = 'sleep';

/**
 * Poll `check` until it answers a value or `timeoutMs` passes. A component
 * has no timer, so the pause between polls is a granted `sleep`, which
 * costs no CPU (a busy loop would).
 */
export function waitFor<T>(ctx: EtcdContext, timeoutMs: number, check: () => T | undefined, onTimeout: () => unknown): T {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw onTimeout();
    ctx.exec.run(SLEEP, ['0.2']);
  }
}
