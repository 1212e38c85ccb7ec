/**
 * What the control plane keeps. One interface, two engines (SQLite for the
 * embedded default, PostgreSQL for production) behind one Kysely query layer
 * with the same migrations.
 */

/** Instance status as the API shows it (Trove's), plus DELETED for tombstones. */
export type InstanceStatus = 'BUILD' | 'ACTIVE' | 'ERROR' | 'SHUTDOWN' | 'REBOOT' | 'BACKUP' | 'RESTART_REQUIRED' | 'UPGRADE' | 'DELETED';

/**
 * An upgrade under way (Trove's UPGRADE), on record before anything changes,
 * so a server restarted part-way knows which build the guest may run.
 */
export interface UpgradeRecord {
  /** The version the instance runs (and returns to on a rollback), and its manager. */
  from: { version: string; sha256: string };
  /** The version asked for, and its manager. */
  to: { version: string; sha256: string };
  /** pre-upgrade: asking the old manager; swapping: the host restarts on the new build; post-upgrade: the new manager restores; rolling-back: the host restarts on the old build. */
  phase: 'pre-upgrade' | 'swapping' | 'post-upgrade' | 'rolling-back';
  /** When the upgrade was accepted (epoch ms): tasks created since belong to it. */
  startedAt: number;
}

export interface SecurityRule {
  protocol: 'tcp' | 'udp';
  from_port: number;
  to_port: number;
  cidr: string;
}

export interface InstanceRecord {
  id: string;
  project: string;
  name: string;
  datastore: string;
  datastoreVersion: string;
  status: InstanceStatus;
  /** What the guest last reported (RUNNING, SHUTDOWN, CRASHED...), or null before any heartbeat. */
  serviceStatus: string | null;
  /** sha256 of the instance's guest token; the token itself is never stored. */
  tokenSha256: string;
  securityRules: SecurityRule[];
  /** Why the instance is in ERROR, for the operator. */
  fault: string | null;
  /** When BUILD turns to ERROR if the guest has not reported RUNNING (usage_timeout). */
  buildDeadline: Date;
  /** Time the last heartbeat was sent by the guest, and its sequence number, for ordering. */
  lastHeartbeatSentAt: Date | null;
  lastHeartbeatSeq: number | null;
  /** Time the server received the last heartbeat, for the expiry check. */
  lastHeartbeatAt: Date | null;
  /** Where clients reach the datastore (host:port), when the provisioner knows it. */
  endpoint: string | null;
  /** The configuration group attached to the instance, or null. */
  configurationId: string | null;
  /** The flavor it was created with; null for instances from before flavors. */
  flavorId: string | null;
  /** volume.size (GB) it was created with, or null. */
  volumeSize: number | null;
  /** The upgrade under way, or null. */
  upgrade: UpgradeRecord | null;
  /** The instance this one replicates from (Trove's replica_of), or null. */
  replicaOf: string | null;
  /** Berth's per-instance auto_failover, or null: the version's option decides. */
  autoFailover: boolean | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewInstance = Omit<InstanceRecord, 'serviceStatus' | 'fault' | 'lastHeartbeatSentAt' | 'lastHeartbeatSeq' | 'lastHeartbeatAt' | 'endpoint' | 'configurationId' | 'flavorId' | 'volumeSize' | 'upgrade' | 'replicaOf' | 'autoFailover' | 'createdAt' | 'updatedAt'> & {
  autoFailover?: boolean | null;
  flavorId?: string | null;
  /** The source, for a replica. */
  replicaOf?: string | null;
  volumeSize?: number | null;
  /** A configuration group attached at create. */
  configurationId?: string | null;
};
export type InstancePatch = Partial<Pick<InstanceRecord, 'status' | 'serviceStatus' | 'fault' | 'lastHeartbeatSentAt' | 'lastHeartbeatSeq' | 'lastHeartbeatAt' | 'name' | 'endpoint' | 'configurationId' | 'datastoreVersion' | 'upgrade' | 'replicaOf' | 'autoFailover'>>;

export type TaskState = 'pending' | 'running' | 'succeeded' | 'failed';

/** An operation accepted by the API and sent to a guest: recorded before it is sent, so a restart loses nothing. */
export interface TaskRecord {
  /** Also the JSON-RPC request id: a re-send after a restart is answered from the guest's record. */
  id: string;
  instanceId: string;
  operation: string;
  /** The operation's arguments, JSON (bigint and bytes encoded as on the wire). */
  args: string;
  state: TaskState;
  /** The guest's answer, JSON: {"ok": ...} or {"err": ...}; or the server's error. */
  outcome: string | null;
  deadlineAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export type NewTask = Pick<TaskRecord, 'id' | 'instanceId' | 'operation' | 'args' | 'deadlineAt'>;

export type BackupState = 'NEW' | 'BUILDING' | 'COMPLETED' | 'FAILED' | 'DELETED';

export interface BackupRecord {
  id: string;
  project: string;
  instanceId: string;
  name: string;
  description: string | null;
  state: BackupState;
  datastore: string;
  datastoreVersion: string;
  /** Bytes and sha256 of the stored artifact, once complete. */
  size: number | null;
  checksum: string | null;
  /** Where the backup store keeps it. */
  location: string | null;
  /** The manager's backup-result: format and metadata, JSON. */
  format: string | null;
  metadata: string | null;
  /** The backup an incremental one builds on. */
  parentId: string | null;
  /** Why it FAILED. */
  fault: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewBackup = Pick<BackupRecord, 'id' | 'project' | 'instanceId' | 'name' | 'description' | 'datastore' | 'datastoreVersion' | 'parentId'> & {
  /** The source instance's local secrets (guest option -> value), kept with the record for restores, never in a BackupRecord. */
  secrets?: Record<string, string>;
};
export type BackupPatch = Partial<Pick<BackupRecord, 'state' | 'size' | 'checksum' | 'location' | 'format' | 'metadata' | 'fault'>>;

/** A setting's value in a configuration group, as the API takes it. */
export type ConfigurationValue = string | number | boolean;

/** Trove's configuration group: settings of one project and datastore version, attachable to its instances. */
export interface ConfigurationRecord {
  id: string;
  project: string;
  name: string;
  description: string | null;
  datastore: string;
  datastoreVersion: string;
  /** Setting name -> value, in the order they were given. */
  values: Record<string, ConfigurationValue>;
  createdAt: Date;
  updatedAt: Date;
}

export type NewConfiguration = Pick<ConfigurationRecord, 'id' | 'project' | 'name' | 'description' | 'datastore' | 'datastoreVersion' | 'values'>;
export type ConfigurationPatch = Partial<Pick<ConfigurationRecord, 'name' | 'description' | 'values'>>;

/**
 * An automatic failover's progress (server/instances/auto-failover.ts), on
 * record before each step runs: fenced (the old source is fenced in the
 * store), chosen (the new primary is named), promoted (it is the primary on
 * record), done.
 */
export type FailoverStep = 'fenced' | 'chosen' | 'promoted' | 'done';

export interface FailoverRecord {
  sourceId: string;
  step: FailoverStep;
  newSourceId: string | null;
  detail: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface Store {
  readonly instances: {
    create(instance: NewInstance): Promise<InstanceRecord>;
    /** Only within its project: another project's id is "not found". */
    get(project: string, id: string): Promise<InstanceRecord | undefined>;
    /** By id alone, for the guest channel (the token decides, not the project). */
    getById(id: string): Promise<InstanceRecord | undefined>;
    /** Not DELETED, newest first. */
    list(project: string): Promise<InstanceRecord[]>;
    /** Every instance in one of these states (recovery and periodic checks after a restart). */
    listByStatus(statuses: readonly InstanceStatus[]): Promise<InstanceRecord[]>;
    update(id: string, patch: InstancePatch): Promise<InstanceRecord | undefined>;
    /**
     * Record a heartbeat only if it is newer (sentAt, then seq) than the last
     * one recorded; answers whether it was. Atomic, so concurrent heartbeats
     * cannot reorder.
     */
    recordHeartbeat(id: string, heartbeat: { sentAt: Date; seq: number; receivedAt: Date; serviceStatus: string }): Promise<boolean>;
    /**
     * Attach or detach a configuration group only if the instance has `expected`
     * attached now (null: none); answers whether it did. Atomic, so two
     * concurrent attaches cannot both win.
     */
    swapConfiguration(id: string, expected: string | null, next: string | null): Promise<boolean>;
    /** The instances (not DELETED) a configuration group is attached to, oldest first. */
    listByConfiguration(configurationId: string): Promise<InstanceRecord[]>;
    /** The instances (not DELETED) that replicate from this one, oldest first. */
    listReplicas(sourceId: string): Promise<InstanceRecord[]>;
  };
  readonly tasks: {
    create(task: NewTask): Promise<TaskRecord>;
    get(id: string): Promise<TaskRecord | undefined>;
    /** pending or running: what a restarted server must finish. */
    listUnfinished(): Promise<TaskRecord[]>;
    listForInstance(instanceId: string): Promise<TaskRecord[]>;
    /** Moves a task on; a finished task never changes again (answers false then). */
    update(id: string, state: TaskState, outcome?: string): Promise<boolean>;
  };
  readonly backups: {
    create(backup: NewBackup): Promise<BackupRecord>;
    get(project: string, id: string): Promise<BackupRecord | undefined>;
    list(project: string, instanceId?: string): Promise<BackupRecord[]>;
    /** A FAILED or DELETED state also drops the secrets recorded with the backup. */
    update(id: string, patch: BackupPatch): Promise<BackupRecord | undefined>;
    /** The secrets recorded at create (guest option -> value); {} when none were, or once FAILED or DELETED. */
    secretsOf(id: string): Promise<Record<string, string>>;
  };
  readonly configurations: {
    create(configuration: NewConfiguration): Promise<ConfigurationRecord>;
    /** Only within its project: another project's id is "not found". */
    get(project: string, id: string): Promise<ConfigurationRecord | undefined>;
    /** Newest first. */
    list(project: string): Promise<ConfigurationRecord[]>;
    update(id: string, patch: ConfigurationPatch): Promise<ConfigurationRecord | undefined>;
    /** Answers whether it was there; refused (a conflict) while an instance refers to it. */
    delete(id: string): Promise<boolean>;
  };
  readonly failovers: {
    /** Opens a failover of this group at `step`; answers false when one is on record already (one per group at a time). */
    begin(sourceId: string, step: FailoverStep): Promise<boolean>;
    get(sourceId: string): Promise<FailoverRecord | undefined>;
    /** Not done, oldest first: what a restarted server resumes. */
    listUnfinished(): Promise<FailoverRecord[]>;
    update(sourceId: string, patch: Partial<Pick<FailoverRecord, 'step' | 'newSourceId' | 'detail'>>): Promise<void>;
    /** A failover given up before anything changed hands (the source came back before it was fenced). */
    forget(sourceId: string): Promise<void>;
  };
  close(): Promise<void>;
}
