import { ERRORS, type ErrorCode } from './catalogue.js';

/**
 * An error with a catalogue code, a message that names the offending input,
 * and a fix the operator can apply.
 */
export class BerthError extends Error {
  override readonly name = 'BerthError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fix?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  get exitCode(): number {
    return ERRORS[this.code].exitCode;
  }

  toJSON(): { code: ErrorCode; message: string; fix?: string } {
    return this.fix === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, fix: this.fix };
  }
}

/** Any thrown value as a BerthError; unknown failures keep their cause. */
export function asBerthError(error: unknown): BerthError {
  if (error instanceof BerthError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new BerthError('BERTH_ERR_INTERNAL', message, undefined, { cause: error });
}
