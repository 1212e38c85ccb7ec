import type { OperationName } from '../../datastores/sdk/operations.js';

/**
 * Operations after which the datastore's service status may differ: the host
 * probes and reports as soon as one ends, so the server does not learn of it a
 * report interval later (an instance is ACTIVE right after its prepare).
 */
const STATUS_CHANGING: ReadonlySet<OperationName> = new Set<OperationName>([
  'prepare',
  'restart',
  'stop-db',
  'start-db-with-conf-changes',
  'post-upgrade',
  'restore-backup',
  'create-backup',
  'mount-volume',
  'unmount-volume',
  'resize-fs',
  'update-overrides',
  'apply-overrides',
  'reset-configuration',
  'attach-replica',
  'detach-replica',
  'enable-as-master',
  'demote-replication-master',
  'make-read-only',
]);

export function changesStatus(operation: OperationName): boolean {
  return STATUS_CHANGING.has(operation);
}
