/**
 * Which session a call runs on, when a datastore may have restarted under
 * the host's pooled connections. The rule: a statement that may have reached
 * the server is never sent a second time, because sending it again could
 * apply a write twice. Replacing a connection and going on is safe only
 * where nothing was sent:
 *
 * - The pooled connection was already lost before this call sent anything
 *   (its socket closed or failed between calls: the datastore restarted,
 *   crashed, or dropped it). It is replaced by a new one, once per call,
 *   with the host's login checks run again (connections-postgres-role.ts,
 *   connections-mysql-account.ts). Unless it held state the new one would
 *   lack (an open transaction, session settings, a Redis MULTI:
 *   connections-session-state.ts): then the call answers `unavailable` and
 *   the next call starts afresh, because running the manager's next
 *   statement in a fresh session would quietly change what it means.
 * - Connecting the replacement fails because the datastore does not serve
 *   yet (connection refused, no socket file, PostgreSQL "starting up"):
 *   retried with short backoff for up to RESTART_GRACE_MS, never past a
 *   quarter of the call's deadline, then the call answers `unavailable`.
 *   Only after a loss: a call whose pooled connection was fine, or that had
 *   none, answers a refused connect at once. Managers read a refused connect
 *   as "the datastore is down" (status probes, is-it-running before a start)
 *   and their operations have the same deadline as the statement, so waiting
 *   the whole deadline would turn every such probe into a timed-out call.
 *
 * A connection that breaks once the statement was sent is never retried:
 * the call answers `unavailable` (or `timeout`) and the connection is thrown
 * away, so the next call gets a fresh one.
 */
import type { CapabilityError } from '../generated/interfaces/berth-datastore-types.js';
import type { Session } from './connections-session.js';

/** How long a call waits for a datastore that was up a moment ago (its connection was lost) to listen again. */
export const RESTART_GRACE_MS = 2000;
const FIRST_BACKOFF_MS = 25;
const MAX_BACKOFF_MS = 250;

/** The bridge's sessions, one per connection name. */
export interface SessionPool {
  get(name: string): Session | undefined;
  /** A new, unconnected session for `name`, now the pool's. */
  open(name: string): Session;
  /** Out of the pool (if still the one there), and its client thrown away. */
  drop(name: string, session: Session): void;
}

/** Set by the bridge once the call's deadline passed: no more attempts. */
export interface CallState {
  expired: boolean;
}

/** The connected session `name`'s call runs on, or the error it answers. */
export async function sessionForCall(
  pool: SessionPool,
  name: string,
  timeoutMs: number,
  call: CallState,
): Promise<{ session: Session } | { err: CapabilityError }> {
  const what = `connection "${name}"`;
  const pooled = pool.get(name);
  const replacing = pooled?.lost === true;
  if (pooled && replacing) {
    const held = pooled.heldState();
    pool.drop(name, pooled);
    if (held !== undefined) {
      return {
        err: {
          tag: 'unavailable',
          val: `${what}: the connection was lost since the last call (the datastore restarted or dropped it) while it held ${held}, which a new connection would not have; nothing was sent, and the next call connects afresh`,
        },
      };
    }
  }
  const graceEnds = Date.now() + Math.min(RESTART_GRACE_MS, timeoutMs / 4);
  for (let backoff = FIRST_BACKOFF_MS; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
    // the bridge has answered `timeout` already: open nothing more
    if (call.expired) return { err: { tag: 'timeout', val: `${what}: no answer within ${timeoutMs} ms` } };
    const session = pool.get(name) ?? pool.open(name);
    try {
      await session.connect();
      return { session };
    } catch (error) {
      const classified = session.classify(error);
      // a session that did not open is never kept: the next attempt, or the next call, logs in afresh
      pool.drop(name, session);
      if (!replacing || !classified.notServing || call.expired || Date.now() + backoff > graceEnds) return { err: classified.error };
    }
    await new Promise((resolve) => setTimeout(resolve, backoff));
  }
}
