import type { OperationName } from '../../datastores/sdk/operations.js';

export type Lane = 'quick' | 'slow';

/**
 * Operations that may run for minutes. They get their own instance so that
 * the status probe and quick reads keep answering while they run; managers
 * therefore keep state in the datastore, not in module memory.
 */
const SLOW: ReadonlySet<OperationName> = new Set<OperationName>([
  'prepare',
  'restart',
  'stop-db',
  'start-db-with-conf-changes',
  'pre-upgrade',
  'post-upgrade',
  'create-backup',
  'restore-backup',
  'mount-volume',
  'unmount-volume',
  'resize-fs',
  'reset-configuration',
  'get-replication-snapshot',
  'attach-replica',
  'detach-replica',
  'enable-as-master',
  'demote-replication-master',
  'wait-for-txn',
]);

export function laneOf(operation: OperationName): Lane {
  return SLOW.has(operation) ? 'slow' : 'quick';
}
