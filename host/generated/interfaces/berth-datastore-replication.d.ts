/** @module Interface berth:datastore/replication@0.2.0 **/
/**
 * Whether a replica must be seeded from a backup. Errors: failed.
 */
export function backupRequiredForReplication(): boolean;
/**
 * On the primary: prepare replication (user, settings) and take a
 * snapshot written to the artifact `snapshot-id`.
 * Errors: unavailable, denied, failed.
 */
export function getReplicationSnapshot(snapshotId: string, replicaSettings: Array<KeyValue>): ReplicationSnapshot;
/**
 * On a replica: restore the snapshot and start replicating from its source.
 * Errors: invalid-argument, failed.
 */
export function attachReplica(snapshot: ReplicationSnapshot, replicaSettings: Array<KeyValue>): void;
/**
 * On a replica: stop replicating; `for-failover` keeps what a later
 * promotion needs. Returns where it stopped. Errors: not-found (not a replica), failed.
 */
export function detachReplica(forFailover: boolean): TransactionPosition;
/**
 * On the primary: what a replica needs to connect. Errors: failed.
 */
export function getReplicaContext(): ReplicationSource;
/**
 * Make the datastore refuse (or again accept) writes. Errors: failed.
 */
export function makeReadOnly(readOnly: boolean): void;
/**
 * Turn this guest into a primary. Errors: failed.
 */
export function enableAsMaster(settings: Array<KeyValue>): void;
/**
 * Turn a primary back into a plain replica candidate. Errors: failed.
 */
export function demoteReplicationMaster(): void;
/**
 * The last transaction this guest applied. Errors: failed.
 */
export function getLastTxn(): TransactionPosition;
/**
 * The latest transaction id this guest wrote. Errors: failed.
 */
export function getLatestTxnId(): string;
/**
 * Wait until `transaction-id` has been applied, at most `timeout-seconds`.
 * Errors: unavailable (timed out), failed.
 */
export function waitForTxn(transactionId: string, timeoutSeconds: number): void;
export type ManagerError = import('./berth-datastore-types.js').ManagerError;
export type KeyValue = import('./berth-datastore-types.js').KeyValue;
/**
 * Where a replica should replicate from.
 */
export interface ReplicationSource {
  host: string,
  port: number,
  /**
   * Replication user and password the primary created.
   */
  user: string,
  password: string,
  extra: Array<KeyValue>,
}
/**
 * A snapshot a new replica is seeded from.
 */
export interface ReplicationSnapshot {
  /**
   * The backup (artifact) that holds the primary's data.
   */
  snapshotId: string,
  /**
   * The primary's log position when the snapshot was taken.
   */
  logPosition: string,
  source: ReplicationSource,
  /**
   * Size of the snapshot's data, bytes.
   */
  datasetSize: bigint,
  extra: Array<KeyValue>,
}
/**
 * A point in the replication stream.
 */
export interface TransactionPosition {
  /**
   * The server or stream the transaction belongs to (MySQL server uuid...).
   */
  sourceId: string,
  transactionId: string,
}
