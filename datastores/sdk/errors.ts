import type { ManagerError as ManagerErrorValue, CapabilityError as CapabilityErrorValue } from 'berth:datastore/types@0.2.0';

export type { ManagerErrorValue, CapabilityErrorValue };

/**
 * Throw one of these from an operation to answer with a specific
 * `manager-error` case. Anything else thrown becomes `failed`.
 */
export class ManagerError extends Error {
  override readonly name = 'ManagerError';

  constructor(readonly value: ManagerErrorValue) {
    super(describeManagerError(value));
  }

  static invalidArgument(field: string, message: string): ManagerError {
    return new ManagerError({ tag: 'invalid-argument', val: { field, message } });
  }
  static notFound(what: string): ManagerError {
    return new ManagerError({ tag: 'not-found', val: what });
  }
  static alreadyExists(what: string): ManagerError {
    return new ManagerError({ tag: 'already-exists', val: what });
  }
  static denied(what: string): ManagerError {
    return new ManagerError({ tag: 'denied', val: what });
  }
  static unavailable(why: string): ManagerError {
    return new ManagerError({ tag: 'unavailable', val: why });
  }
  /** `operation` is filled in by the SDK with the running operation. */
  static failed(detail: string): ManagerError {
    return new ManagerError({ tag: 'failed', val: { operation: '', detail } });
  }
}

/**
 * A capability import (exec, connections, artifacts) answered with an error.
 * Operations may catch it to map, say, SQLSTATE 42P04 to `already-exists`;
 * uncaught, it becomes the matching `manager-error`.
 */
export class CapabilityError extends Error {
  override readonly name = 'CapabilityError';

  constructor(
    readonly capability: string,
    readonly value: CapabilityErrorValue,
  ) {
    super(`${capability}: ${describeCapabilityError(value)}`);
  }

  /** SQLSTATE / server error code when the datastore refused the request. */
  get code(): string | undefined {
    return this.value.tag === 'database' ? this.value.val.code : undefined;
  }
}

export function describeManagerError(value: ManagerErrorValue): string {
  switch (value.tag) {
    case 'invalid-argument':
      return `invalid ${value.val.field}: ${value.val.message}`;
    case 'failed':
      return value.val.detail;
    default:
      return `${value.tag}: ${value.val}`;
  }
}

function describeCapabilityError(value: CapabilityErrorValue): string {
  if (value.tag === 'database') return `database error ${value.val.code}: ${value.val.message}`;
  return `${value.tag}: ${value.val}`;
}

/** Any thrown value as the `manager-error` the operation answers with. */
export function toManagerError(operation: string, thrown: unknown): ManagerErrorValue {
  if (thrown instanceof ManagerError) {
    const value = thrown.value;
    return value.tag === 'failed' ? { tag: 'failed', val: { operation, detail: value.val.detail } } : value;
  }
  if (thrown instanceof CapabilityError) {
    const value = thrown.value;
    switch (value.tag) {
      case 'denied':
        return { tag: 'denied', val: `${thrown.capability}: ${value.val}` };
      case 'unavailable':
      case 'timeout':
        return { tag: 'unavailable', val: `${thrown.capability}: ${value.val}` };
      default:
        return { tag: 'failed', val: { operation, detail: thrown.message } };
    }
  }
  if (thrown instanceof Error) {
    return { tag: 'failed', val: { operation, detail: thrown.message || thrown.name } };
  }
  return { tag: 'failed', val: { operation, detail: safeString(thrown) } };
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * The shape componentize-js and QuickJS lower to `err(payload)` for an export
 * returning `result`; throwing a plain Error would trap the instance instead.
 */
export interface ResultErrorThrow {
  readonly payload: ManagerErrorValue;
}

/** Capability imports throw `{ payload }` for `err`; anything else is a host bug. */
export function payloadOf(thrown: unknown): unknown {
  if (typeof thrown === 'object' && thrown !== null && 'payload' in thrown) return (thrown as { payload: unknown }).payload;
  return undefined;
}

export function asCapabilityError(capability: string, thrown: unknown): unknown {
  const payload = payloadOf(thrown);
  if (typeof payload === 'object' && payload !== null && 'tag' in payload) {
    return new CapabilityError(capability, payload as CapabilityErrorValue);
  }
  return thrown;
}
