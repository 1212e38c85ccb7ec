import { BerthError } from '../../datastores/errors/berth-error.js';
import type { ErrorCode } from '../../datastores/errors/catalogue.js';
import type { TaskEnding } from './task-runner.js';

type ManagerError =
  | { tag: 'unsupported'; val: string }
  | { tag: 'invalid-argument'; val: { field: string; message: string } }
  | { tag: 'not-found' | 'already-exists' | 'denied' | 'unavailable'; val: string }
  | { tag: 'failed'; val: { operation: string; detail: string } };

const CODES: Record<ManagerError['tag'], ErrorCode> = {
  unsupported: 'BERTH_ERR_OPERATION_UNSUPPORTED',
  'invalid-argument': 'BERTH_ERR_MANAGER_INVALID_ARGUMENT',
  'not-found': 'BERTH_ERR_MANAGER_NOT_FOUND',
  'already-exists': 'BERTH_ERR_MANAGER_ALREADY_EXISTS',
  denied: 'BERTH_ERR_MANAGER_DENIED',
  unavailable: 'BERTH_ERR_MANAGER_UNAVAILABLE',
  failed: 'BERTH_ERR_MANAGER_FAILED',
};

/** A manager-error from a guest as the catalogue error the API answers with. */
export function managerErrorToBerth(error: unknown, operation: string): BerthError {
  const value = error as ManagerError;
  const code = CODES[value?.tag] ?? 'BERTH_ERR_MANAGER_FAILED';
  switch (value?.tag) {
    case 'invalid-argument':
      return new BerthError(code, `${operation}: ${value.val.field}: ${value.val.message}`, `correct ${value.val.field}`);
    case 'failed':
      return new BerthError(code, `${operation} failed: ${value.val.detail}`);
    case 'unsupported':
    case 'not-found':
    case 'already-exists':
    case 'denied':
    case 'unavailable':
      return new BerthError(code, `${operation}: ${value.val}`);
    default:
      return new BerthError(code, `${operation}: the manager answered ${JSON.stringify(error)}`);
  }
}

/** Why a task did not succeed, in words (undefined when it did): the guest's manager-error, or the server's own. */
export function failureOf(ending: TaskEnding, operation: string): string | undefined {
  if ('error' in ending) return ending.error.message;
  return 'err' in ending.outcome ? managerErrorToBerth(ending.outcome.err, operation).message : undefined;
}

/** An instance's fault after a failed operation: the message, led by the operation's name unless it already is. */
export function operationFault(operation: string, message: string): string {
  return message.startsWith(operation) ? message : `${operation}: ${message}`;
}
