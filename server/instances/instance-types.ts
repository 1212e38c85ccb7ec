/** What InstanceService.create takes and answers (instance-service.ts). */
import type { InstanceRecord } from '../store/store.js';

export interface CreateInstance {
  name: string;
  /** Required unless replicaOf is given (a replica runs its source's). */
  datastore?: { type: string; version?: string };
  /** Trove's replica_of: create replicas of this instance of the project. */
  replicaOf?: string;
  /** Trove's replica_count (default 1): several are named name-1 .. name-N. */
  replicaCount?: number;
  databases: Array<{ name: string; character_set?: string; collate?: string }>;
  users: Array<{ name: string; password: string; host?: string; databases: Array<{ name: string }> }>;
  /** Trove's restorePoint: create the instance from this backup. */
  restorePoint?: { backupRef: string };
  /** Trove's configuration: a configuration group of the project to attach, its values given to prepare. */
  configuration?: string;
  /** Trove's flavorRef (an id or a link to one); the default flavor when absent. */
  flavorRef?: string | number;
  /** Berth's per-instance auto_failover (docs/replication.md); the version's option when absent. */
  autoFailover?: boolean;
  /** Trove's volume: its size in GB is recorded and shown. */
  volume?: { size: number };
}

/** A completed backup as prepare and restore-backup receive it (the contract's restore-source). */
export interface RestoreSource {
  id: string;
  format: string;
  metadata: Array<{ key: string; value: string }>;
  size: bigint;
  checksum: string;
}

export interface Created {
  instance: InstanceRecord;
  /** The generated root password when root_on_create: returned once, never stored. */
  rootPassword?: string;
  /** The guest config (with the instance token) for provisioners that hand it out: returned once. */
  guestConfigToml?: string;
}
