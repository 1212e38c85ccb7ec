import { asBerthError } from './berth-error.js';

/**
 * Errors leave a command as one line with the catalogue code, a fix, and the
 * exit code of their class: shared by `berth` and the packed guest host.
 */
export function reportError(error: unknown, json: boolean): number {
  const berthError = asBerthError(error);
  if (json) {
    process.stderr.write(`${JSON.stringify({ error: berthError.toJSON() })}\n`);
  } else {
    process.stderr.write(`error ${berthError.code}: ${berthError.message}\n`);
    if (berthError.fix) process.stderr.write(`  fix: ${berthError.fix}\n`);
    if (berthError.code === 'BERTH_ERR_INTERNAL' && process.env.BERTH_DEBUG && berthError.cause instanceof Error) {
      process.stderr.write(`${berthError.cause.stack}\n`);
    }
  }
  return berthError.exitCode;
}
