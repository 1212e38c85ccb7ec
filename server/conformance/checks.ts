import { BerthError } from '../../datastores/errors/berth-error.js';
import type { OperationName } from '../../datastores/sdk/operations.js';

export type CheckStatus = 'passed' | 'failed' | 'unsupported';

/** One line of the feature matrix: a check of one operation (or an invariant) in one group. */
export interface CheckResult {
  group: string;
  /** The contract operation the check drives, or an invariant's name (no-denied-capability...). */
  operation: OperationName | string;
  check: string;
  status: CheckStatus;
  /** Why it failed: the error code (a catalogue or manager code) and what was seen. */
  code?: string;
  detail?: string;
  /** What a passed check could not verify (no probe for the datastore's data, say). */
  note?: string;
  ms: number;
}

/** A check that failed with what it saw; thrown by `expectThat` inside a check. */
export class CheckFailure extends Error {
  constructor(message: string, readonly code = 'BERTH_CONFORMANCE_MISMATCH') {
    super(message);
  }
}

export function expectThat(condition: boolean, what: string, code?: string): asserts condition {
  if (!condition) throw new CheckFailure(what, code);
}

/**
 * Runs checks in order and keeps each one's outcome: a check that throws
 * fails with the error's code (catalogue codes as the API answered them), and
 * the run goes on, so one broken operation does not hide the others.
 */
export class CheckLog {
  readonly results: CheckResult[] = [];

  constructor(private readonly onResult: (result: CheckResult) => void = () => undefined) {}

  async run(group: string, operation: OperationName | string, check: string, body: () => Promise<string | void>): Promise<boolean> {
    const started = Date.now();
    let result: CheckResult;
    try {
      const note = await body();
      result = { group, operation, check, status: 'passed', ...(note ? { note } : {}), ms: Date.now() - started };
    } catch (error) {
      result = { group, operation, check, status: 'failed', ...describeFailure(error), ms: Date.now() - started };
    }
    this.record(result);
    return result.status === 'passed';
  }

  /** An operation the manifest does not claim, so its group's checks do not run. */
  unsupported(group: string, operation: OperationName | 'probe', check: string): void {
    this.record({ group, operation, check, status: 'unsupported', ms: 0 });
  }

  failed(): CheckResult[] {
    return this.results.filter((result) => result.status === 'failed');
  }

  private record(result: CheckResult): void {
    this.results.push(result);
    this.onResult(result);
  }
}

function describeFailure(error: unknown): { code: string; detail: string } {
  if (error instanceof CheckFailure) return { code: error.code, detail: error.message };
  if (error instanceof BerthError) return { code: error.code, detail: error.message };
  return { code: 'BERTH_CONFORMANCE_ERROR', detail: error instanceof Error ? error.message : String(error) };
}

/** Polls until `check` holds, or fails the check naming what it waited for. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      // a CheckFailure is a verdict (the instance went ERROR), not a moment to wait out
      if (error instanceof CheckFailure) throw error;
      last = error;
    }
    if (Date.now() > deadline) {
      const cause = last instanceof Error ? ` (last: ${last.message})` : '';
      throw new CheckFailure(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${cause}`, 'BERTH_CONFORMANCE_TIMEOUT');
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
