/**
 * The tables behind the Store, as Kysely sees them. Column types are the ones
 * both engines share: `text` for ids, statuses and JSON, `bigint` for every
 * number that may outgrow 32 bits.
 *
 * Timestamps are epoch milliseconds in `bigint` columns (INTEGER affinity in
 * SQLite, int8 in PostgreSQL). Integers compare and sort the same in both
 * engines, with no collation, time zone or text format involved, keep the
 * millisecond a JavaScript Date has, and fit a JavaScript number exactly until
 * the year 287396. PostgreSQL hands int8 back as a string unless told
 * otherwise; the store's pool parses it to a number (see kysely-store.ts), so
 * every numeric column reads as a `number` on both engines.
 */

/** Epoch milliseconds. */
export type EpochMillis = number;

export interface InstancesTable {
  id: string;
  project: string;
  name: string;
  datastore: string;
  datastore_version: string;
  status: string;
  service_status: string | null;
  token_sha256: string;
  /** SecurityRule[] as JSON. */
  security_rules: string;
  fault: string | null;
  build_deadline: EpochMillis;
  last_heartbeat_sent_at: EpochMillis | null;
  last_heartbeat_seq: number | null;
  last_heartbeat_at: EpochMillis | null;
  /** host:port, or null when the provisioner does not know it. */
  endpoint: string | null;
  /** The configuration group attached, or null. */
  configuration_id: string | null;
  /** The flavor created with, or null for instances from before flavors. */
  flavor_id: string | null;
  /** volume.size in GB, or null when create gave none. */
  volume_size: number | null;
  /** UpgradeRecord as JSON while an upgrade is under way, else null. */
  upgrade: string | null;
  /** The instance this one replicates from, or null. */
  replica_of: string | null;
  /** Berth's per-instance auto_failover: 1, 0, or null for the version's option. */
  auto_failover: number | null;
  created_at: EpochMillis;
  updated_at: EpochMillis;
}

export interface TasksTable {
  id: string;
  instance_id: string;
  operation: string;
  /** JSON. */
  args: string;
  state: string;
  /** JSON, or null until the task ends. */
  outcome: string | null;
  deadline_at: EpochMillis;
  created_at: EpochMillis;
  updated_at: EpochMillis;
}

export interface BackupsTable {
  id: string;
  project: string;
  instance_id: string;
  name: string;
  description: string | null;
  state: string;
  datastore: string;
  datastore_version: string;
  size: number | null;
  checksum: string | null;
  location: string | null;
  /** JSON. */
  format: string | null;
  /** JSON. */
  metadata: string | null;
  parent_id: string | null;
  fault: string | null;
  /** The source instance's local secrets, JSON (guest option -> value), for restores; null when none or once FAILED or DELETED. */
  secrets: string | null;
  created_at: EpochMillis;
  updated_at: EpochMillis;
}

export interface ConfigurationsTable {
  id: string;
  project: string;
  name: string;
  description: string | null;
  datastore: string;
  datastore_version: string;
  /** Setting name -> value (string, number or boolean), JSON. */
  values: string;
  created_at: EpochMillis;
  updated_at: EpochMillis;
}

export interface FailoversTable {
  /** The source that failed: the replication group's key while its failover is under way. */
  source_id: string;
  /** FailoverStep. */
  step: string;
  /** The replica chosen to be the primary, once chosen. */
  new_source_id: string | null;
  /** Why the last attempt stopped, for the operator. */
  detail: string | null;
  created_at: EpochMillis;
  updated_at: EpochMillis;
}

export interface Database {
  failovers: FailoversTable;
  instances: InstancesTable;
  tasks: TasksTable;
  backups: BackupsTable;
  configurations: ConfigurationsTable;
}
