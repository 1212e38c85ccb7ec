/** @module Interface berth:datastore/backup@0.2.0 **/
/**
 * Take a backup, writing its bytes to the artifact named by `request.id`.
 * Errors: invalid-argument (unknown strategy), unavailable (datastore
 * down), denied (artifact or program not granted), failed.
 */
export function createBackup(request: BackupRequest): BackupResult;
/**
 * Replace the datastore's data with a backup (the datastore is stopped and
 * started by the manager). `prepare` calls the same logic when its request
 * names a backup. Errors: invalid-argument (unknown format), failed.
 */
export function restoreBackup(source: RestoreSource): void;
export type ManagerError = import('./berth-datastore-types.js').ManagerError;
export type KeyValue = import('./berth-datastore-types.js').KeyValue;
/**
 * What the manager reports about a finished backup.
 */
export interface BackupResult {
  /**
   * How the artifact is encoded, e.g. "pg-base-tar", "mysqldump-sql",
   * "redis-rdb": `restore-backup` is handed the same value.
   */
  format: string,
  /**
   * Datastore-specific facts a restore needs (WAL position, server version...).
   */
  metadata: Array<KeyValue>,
}
/**
 * A stored backup to restore from.
 */
export interface RestoreSource {
  /**
   * The backup id, also the artifact name to read through `artifacts.read`.
   */
  id: string,
  format: string,
  metadata: Array<KeyValue>,
  /**
   * Total size in bytes and sha256 (hex), as the server stored them.
   */
  size: bigint,
  checksum: string,
}
export interface BackupRequest {
  /**
   * The backup's id, also the artifact name to write through `artifacts.write`.
   */
  id: string,
  /**
   * The strategy to use; the guest option `backup_strategy` when none.
   */
  strategy?: string,
  /**
   * For an incremental backup: the backup it builds on.
   */
  parent?: RestoreSource,
}
