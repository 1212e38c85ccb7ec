import { BerthError } from '../../datastores/errors/berth-error.js';
import type { Store } from './store.js';
import { isUnavailable } from './unavailable.js';

interface Violation {
  kind: 'duplicate' | 'reference';
  /** What the engine says conflicted, when it says. */
  detail: string | undefined;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** A unique or foreign-key violation from either engine's driver; undefined for any other error. */
export function violationOf(error: unknown): Violation | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, detail, message } = error as { code?: unknown; detail?: unknown; message?: unknown };
  switch (code) {
    // better-sqlite3 reports SQLite's extended result codes; the message names table.column of a unique
    // key, while a foreign-key failure names nothing
    case 'SQLITE_CONSTRAINT_PRIMARYKEY':
    case 'SQLITE_CONSTRAINT_UNIQUE':
      return { kind: 'duplicate', detail: text(message) };
    case 'SQLITE_CONSTRAINT_FOREIGNKEY':
      return { kind: 'reference', detail: undefined };
    // pg: SQLSTATE unique_violation and foreign_key_violation, whose detail names the key and its value
    case '23505':
      return { kind: 'duplicate', detail: text(detail) ?? text(message) };
    case '23503':
      return { kind: 'reference', detail: text(detail) ?? text(message) };
    default:
      return undefined;
  }
}

/** `instanceId abc, parentId def`: the references a record carries, for an engine that does not say which failed. */
function referencesOf(record: unknown): string | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const references = Object.entries(record).filter(([key, value]) => /.Id$/.test(key) && typeof value === 'string');
  return references.length ? references.map(([key, value]) => `${key} ${String(value)}`).join(', ') : undefined;
}

/** The catalogue error for a violation in `repository.method(record, ...)`, naming the record and what conflicted. */
export function conflictError(violation: Violation, repository: string, method: string, record: unknown, cause: unknown): BerthError {
  const noun = repository.replace(/s$/, '');
  const id = typeof record === 'string' ? record : text((record as { id?: unknown } | undefined)?.id);
  const what = `cannot ${method === 'create' ? 'store' : method} ${noun}${id ? ` ${id}` : ''}`;
  if (violation.kind === 'duplicate') {
    return new BerthError('BERTH_ERR_STORE_CONFLICT', `${what}: one is stored already (${violation.detail ?? 'a unique key is taken'})`, 'use a new id; if the request was sent twice, the first one was stored', { cause });
  }
  const refersTo = violation.detail ?? referencesOf(record);
  return new BerthError('BERTH_ERR_STORE_CONFLICT', `${what}: it refers to a record that does not exist${refersTo ? ` (${refersTo})` : ''}`, 'create what it refers to first, or correct the reference', { cause });
}

/**
 * The store with every unique or foreign-key violation, of any repository's
 * method (those added later too), answered as BERTH_ERR_STORE_CONFLICT, and
 * a database out of reach as BERTH_ERR_STORE_UNAVAILABLE, instead of the
 * driver's error, which would leave the API as an internal one.
 */
export function withConflictErrors(store: Store): Store {
  const wrapped: Record<string, unknown> = { ...store };
  for (const [repository, methods] of Object.entries(store)) {
    if (typeof methods !== 'object' || methods === null) continue;
    wrapped[repository] = Object.fromEntries(
      Object.entries(methods as Record<string, unknown>).map(([method, fn]) => {
        if (typeof fn !== 'function') return [method, fn];
        const mapped = async (...args: unknown[]): Promise<unknown> => {
          try {
            return await fn.apply(methods, args);
          } catch (error) {
            const violation = violationOf(error);
            if (violation) throw conflictError(violation, repository, method, args[0], error);
            if (isUnavailable(error)) {
              throw new BerthError('BERTH_ERR_STORE_UNAVAILABLE', `the database could not ${method} ${repository}: ${error instanceof Error ? error.message : String(error)}`, 'try again once the database is back', { cause: error });
            }
            throw error;
          }
        };
        return [method, mapped];
      }),
    );
  }
  return wrapped as unknown as Store;
}
