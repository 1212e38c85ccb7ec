/** The API's shapes (server/api/routes), as the CLI reads them. */

export interface DatastoreView {
  id: string;
  name: string;
  /** The default version's id, as Trove gives it. */
  default_version: string;
  versions: Array<{ id: string; name: string; active: boolean }>;
}
/** Trove's configuration parameter, with Berth's allowed values and description. */
export interface ParameterView {
  name: string;
  datastore_version_id: string;
  restart_required: boolean;
  type: 'integer' | 'string' | 'boolean' | 'float';
  min?: number;
  max?: number;
  allowed_values?: string[];
  description?: string;
}
export interface InstanceView {
  id: string;
  name: string;
  status: string;
  service_status: string | null;
  datastore: { type: string; version: string };
  created: string;
  updated: string;
  security_groups: Array<{ rules: Array<{ protocol: string; from_port: number; to_port: number; cidr: string }> }>;
  /** The configuration group attached. */
  configuration?: { id: string; name: string };
  flavor?: { id: string };
  /** GB; `used` only in the view of one instance. */
  volume?: { size: number | null; used?: number };
  fault?: { message: string };
  /** Where clients connect, when the provisioner knows it. */
  addresses?: Array<{ address: string; type: string }>;
  port?: number;
  /** On a replica: the instance it replicates from (Trove's replica_of). */
  replica_of?: { id: string };
  /** On a source: the instances that replicate from it (Trove's replicas). */
  replicas?: Array<{ id: string }>;
  /** Shown when automatic failover is on, or set on the instance. */
  berth_auto_failover?: boolean;
}
export interface CreatedInstance {
  instance: InstanceView & { password?: string };
  guest_config?: string;
}
export interface DatabaseIn {
  name: string;
  character_set?: string;
  collate?: string;
}
export interface DatabaseView {
  name: string;
  character_set?: string;
  collate?: string;
}
export interface UserIn {
  name: string;
  password: string;
  host?: string;
  databases?: Array<{ name: string }>;
}
export interface UserView {
  name: string;
  host: string;
  databases: Array<{ name: string }>;
}
/** A user as the API names one: by name, and by host when several share the name. */
export interface UserRef {
  name: string;
  host?: string;
}
export interface CreateInstanceBody {
  name: string;
  /** Optional for a replica: it is the source's. */
  datastore?: { type: string; version?: string };
  databases?: DatabaseIn[];
  users?: UserIn[];
  /** A configuration group id. */
  configuration?: string;
  /** Trove's restore point: the id of the backup the instance starts from. */
  restorePoint?: { backupRef: string };
  flavorRef?: string;
  volume?: { size: number };
  /** The source's id: the new instance replicates from it. */
  replica_of?: string;
  /** With replica_of: this many replicas, named <name>-1 .. <name>-N. */
  replica_count?: number;
  berth_auto_failover?: boolean;
}
export interface BackupView {
  id: string;
  name: string;
  description: string | null;
  status: string;
  instance_id: string;
  parent_id: string | null;
  datastore: { type: string; version: string };
  /** Trove's size, in GB; size_bytes is exact. */
  size: number | null;
  size_bytes: number | null;
  checksum: string | null;
  format: string | null;
  created: string;
  updated: string;
  fault?: { message: string };
}
export interface CreateBackupBody {
  name: string;
  /** Instance id. */
  instance: string;
  description?: string;
  parent_id?: string;
}
export type ConfigurationValue = string | number | boolean;
export interface ConfigurationSummaryView {
  id: string;
  name: string;
  description: string | null;
  datastore: { type: string; version: string };
  datastore_name: string;
  datastore_version_name: string;
  created: string;
  updated: string;
}
export interface ConfigurationView extends ConfigurationSummaryView {
  values: Record<string, ConfigurationValue>;
  instance_count: number;
}
export interface CreateConfigurationBody {
  name: string;
  description?: string;
  datastore: { type: string; version?: string };
  values: Record<string, ConfigurationValue>;
}
/** One guest log, in Trove's shape. */
export interface GuestLogView {
  name: string;
  type: 'USER' | 'SYS';
  status: string;
  published: number;
  pending: number;
  container: string;
  prefix: string;
  metafile: string;
}
