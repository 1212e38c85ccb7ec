import { BerthError } from '../../datastores/errors/berth-error.js';
import type { OperationName } from '../../datastores/sdk/operations.js';
import { laneOf, type Lane } from './lanes.js';

/**
 * A call's deadline and where it comes from, so that a call that misses it
 * can say which setting to raise: the host's own (guest.toml's
 * host.call_timeout or host.slow_call_timeout, when the host starts the call
 * itself) or the one the server sent with the call (its timeouts.quick_call
 * or timeouts.slow_call).
 */
export interface CallDeadline {
  ms: number;
  /** The setting that sets this deadline, e.g. "host.call_timeout". */
  setting: string;
  /** Where that setting is, e.g. "guest.toml". */
  where: string;
}

/** The host's own deadline for an operation: guest.toml's setting of its lane. */
export function hostDeadline(lane: Lane, ms: number): CallDeadline {
  return { ms, setting: lane === 'slow' ? 'host.slow_call_timeout' : 'host.call_timeout', where: 'guest.toml' };
}

/** The deadline the server sent with the call (what was left of it): its timeouts setting of the operation's lane. */
export function serverDeadline(operation: OperationName, ms: number): CallDeadline {
  const setting = laneOf(operation) === 'slow' ? 'timeouts.slow_call' : 'timeouts.quick_call';
  return { ms, setting, where: "the server config (the deadline the server sent with the call)" };
}

/** A deadline a program gave without naming a setting (a test, a tool of its own). */
export function givenDeadline(ms: number): CallDeadline {
  return { ms, setting: 'deadline', where: "the caller's argument" };
}

/** "30s", "1.5s", "250ms". */
export function formatDeadline(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const seconds = Math.round(ms / 100) / 10;
  return `${seconds}s`;
}

/** How a call missed its deadline. */
export type Missed =
  | { kind: 'ran'; lane: string }
  | { kind: 'queued'; behind: string }
  | { kind: 'none-left' };

/**
 * BERTH_ERR_CALL_TIMEOUT for one call: the message names the operation, the
 * deadline and its setting; the fix says to raise that setting or make the
 * operation faster; details carry the same for callers that branch on them.
 */
export function callTimeout(operation: string, deadline: CallDeadline, missed: Missed): BerthError {
  const limit = formatDeadline(deadline.ms);
  const source = `${deadline.setting} in ${deadline.where}`;
  const message =
    missed.kind === 'ran'
      ? `the manager's ${operation} did not finish within its ${limit} deadline (${source}); the ${missed.lane} instance was replaced`
      : missed.kind === 'queued'
        ? `${operation} waited past its ${limit} deadline (${source}) behind ${missed.behind} and was not run`
        : `${operation} has no time left of its ${limit} deadline (${source}) and was not run`;
  const fix =
    missed.kind === 'queued'
      ? `raise ${source}, or make ${missed.behind} finish sooner (calls of a lane run one at a time)`
      : `raise ${source} if ${operation} needs longer, or make ${operation} faster (progress events show how far it came; they do not extend the deadline)`;
  return new BerthError('BERTH_ERR_CALL_TIMEOUT', message, fix, {
    details: { operation, deadline: limit, deadlineMs: deadline.ms, setting: deadline.setting, where: deadline.where },
  });
}
