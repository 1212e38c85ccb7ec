import { z } from 'zod';

/**
 * The longest duration a config may give, in seconds: 24 days. Node's timers
 * hold at most 2^31-1 ms (24.8 days) and treat anything longer as 1 ms, so a
 * heartbeat interval of a year would become a heartbeat every millisecond
 * (found by the config fuzz test).
 */
export const MAX_TIMER_SECONDS = 24 * 24 * 60 * 60;

/** A positive duration in seconds that a timer can hold. */
export function timerSeconds(): z.ZodNumber {
  return z.number().positive().max(MAX_TIMER_SECONDS, `must be at most ${MAX_TIMER_SECONDS} seconds (24 days)`);
}
