import { CapabilityError, ManagerError } from '../sdk/index.js';

type Case = ManagerError['value']['tag'];

/**
 * Answer only the error cases wit/replication.wit lists for the operation
 * ("Errors: ..."): any other becomes `failed`, its message kept; a
 * connection that could not reach the server is `unavailable` where that
 * is listed.
 */
export function within<T>(listed: readonly Case[], action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof ManagerError) {
      if (listed.includes(error.value.tag) || error.value.tag === 'failed') throw error;
      throw ManagerError.failed(error.message);
    }
    if (error instanceof CapabilityError) {
      const reached = error.value.tag === 'database';
      throw !reached && listed.includes('unavailable') ? ManagerError.unavailable(error.message) : ManagerError.failed(error.message);
    }
    throw error;
  }
}
