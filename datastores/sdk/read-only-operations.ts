import type { OperationName } from './operations.js';

/**
 * Operations that change nothing on the guest. They are not recorded as
 * tasks: a read interrupted by a server restart has nothing to finish, and its
 * caller simply asks again, so the two store writes per call would buy
 * nothing (they were a quarter of a quick read's round trip).
 */
const READ_ONLY: ReadonlySet<OperationName> = new Set<OperationName>([
  'status',
  'list-databases',
  'list-users',
  'get-user',
  'list-access',
  'is-root-enabled',
  'get-root-password',
  'get-filesystem-stats',
  'guest-log-list',
  'guest-log-read',
  'backup-required-for-replication',
  'get-replica-context',
  'get-last-txn',
  'get-latest-txn-id',
]);

export function isReadOnly(operation: OperationName): boolean {
  return READ_ONLY.has(operation);
}
