import { ERRORS, type ErrorCode } from './catalogue.js';

/**
 * Facts about the failure a caller may branch on (the deadline a call hit,
 * the setting that sets it...), beside the message, which is for people.
 */
export type ErrorDetails = Readonly<Record<string, string | number>>;

/**
 * An error with a catalogue code, a message that names the offending input,
 * and a fix the operator can apply.
 */
export class BerthError extends Error {
  override readonly name = 'BerthError';
  readonly details?: ErrorDetails;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fix?: string,
    options?: { cause?: unknown; details?: ErrorDetails },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.details !== undefined) this.details = options.details;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  get exitCode(): number {
    return ERRORS[this.code].exitCode;
  }

  toJSON(): { code: ErrorCode; message: string; fix?: string; details?: ErrorDetails } {
    return {
      code: this.code,
      message: this.message,
      ...(this.fix === undefined ? {} : { fix: this.fix }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** Any thrown value as a BerthError; unknown failures keep their cause. */
export function asBerthError(error: unknown): BerthError {
  if (error instanceof BerthError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new BerthError('BERTH_ERR_INTERNAL', message, undefined, { cause: error });
}
