import { readFileSync } from 'node:fs';

/** Exit codes of `berth` for a bad command line or bad input: the config, the manager, the grants. */
const CONFIG_EXITS = new Set([2, 3]);
/** A host that exits this soon after its start has not come up. */
const QUICK_EXIT_MS = 10_000;
/** After this many quick exits in a row the instance is reported failed (restarts go on, with backoff). */
const CRASH_LOOP_EXITS = 3;
/** A host that ran this long starts over with the first restart delay. */
const STEADY_RUN_MS = 60_000;

/** What the supervisor remembers of an instance's host runs. */
export interface HostRuns {
  restarts: number;
  /** When the running host was started (Date.now()). */
  startedAt?: number;
  /** Runs in a row that ended within QUICK_EXIT_MS of their start. */
  quickExits?: number;
}

export interface RestartDelays {
  firstRestartDelayMs?: number;
  maxRestartDelayMs?: number;
}

function logTail(logPath: string): string {
  try {
    return readFileSync(logPath, 'utf8').trim().split('\n').slice(-6).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * What follows a guest host's exit: a host that refused its config is
 * failed and not restarted (it would refuse again); any other is restarted
 * with exponential backoff, and one that dies at every start is reported
 * failed at the third quick exit in a row (still restarted, since what it
 * waits for may come back), so it is not restarted in silence until the
 * instance times out. Updates `runs`.
 */
export function afterHostExit(runs: HostRuns, code: number | null, logPath: string, delays: RestartDelays, now = Date.now()): { failed?: string; restartInMs?: number } {
  if (code !== null && CONFIG_EXITS.has(code)) return { failed: `the guest host refused to start (exit ${code}): ${logTail(logPath)}` };
  const ran = now - (runs.startedAt ?? now);
  if (ran >= STEADY_RUN_MS) runs.restarts = 0;
  runs.quickExits = ran < QUICK_EXIT_MS ? (runs.quickExits ?? 0) + 1 : 0;
  const failed =
    runs.quickExits === CRASH_LOOP_EXITS
      ? `the guest host exits at start (${CRASH_LOOP_EXITS} times in a row, last ${code === null ? 'killed by a signal' : `exit ${code}`}); still restarting it with backoff: ${logTail(logPath)}`
      : undefined;
  const restartInMs = Math.min(delays.maxRestartDelayMs ?? 30_000, (delays.firstRestartDelayMs ?? 250) * 2 ** runs.restarts++);
  return { ...(failed ? { failed } : {}), restartInMs };
}
