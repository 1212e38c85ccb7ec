import { BerthError } from '../../datastores/errors/berth-error.js';
import type { OperationName } from '../../datastores/sdk/operations.js';
import type { ManifestCatalog } from '../registry/manifests.js';
import type { DatastoreRegistry, DatastoreVersion } from '../registry/registry.js';
import type { Provisioner } from '../provisioning/provisioner.js';
import type { InstanceRecord } from '../store/store.js';

/** What a manager must claim for the server to seed and follow replicas of its instances. */
export const REPLICA_OPERATIONS: readonly OperationName[] = ['backup-required-for-replication', 'get-replication-snapshot', 'attach-replica', 'detach-replica', 'enable-as-master'];

/** Trove's POST /instances with replica_of, as the instance service receives it. */
export interface ReplicaRequest {
  name: string;
  replicaOf: string;
  replicaCount?: number;
  datastore?: { type: string; version?: string };
  databases: unknown[];
  users: unknown[];
  restorePoint?: unknown;
}

/** The replicas to create: their names, the source's version, and the secrets they start with. */
export interface ReplicaPlan {
  source: InstanceRecord;
  version: DatastoreVersion;
  names: string[];
  /** The source's local secrets, when the replica's copy of the data carries the source's accounts (backup-required-for-replication). */
  secrets?: Record<string, string>;
}

export interface ReplicaPlanDeps {
  registry: DatastoreRegistry;
  manifests: ManifestCatalog;
  provisioner: Provisioner;
  /** The source instance of this project (BERTH_ERR_INSTANCE_NOT_FOUND otherwise). */
  get(project: string, id: string): Promise<InstanceRecord>;
  /** backup-required-for-replication on the source. */
  backupRequired(project: string, sourceId: string): Promise<boolean>;
}

/**
 * Checks a replica create before anything is made: the source exists in the
 * project, is ACTIVE, is not itself a replica (Trove has no chains), and its
 * manager claims replication; a replica has its source's datastore and data,
 * so it takes no other datastore, databases, users or backup.
 */
export async function planReplicas(deps: ReplicaPlanDeps, project: string, request: ReplicaRequest): Promise<ReplicaPlan> {
  const refused = (field: string, why: string) => new BerthError('BERTH_ERR_VALIDATION', `${field}: ${why}`, `remove ${field} from the replica's create`);
  if (request.databases.length > 0) throw refused('databases', "a replica has its source's databases");
  if (request.users.length > 0) throw refused('users', "a replica has its source's users");
  if (request.restorePoint !== undefined) throw refused('restorePoint', "a replica is seeded from its source, not from a backup");
  const source = await deps.get(project, request.replicaOf);
  if (source.replicaOf !== null) {
    throw new BerthError('BERTH_ERR_REPLICATION_ROLE', `replica_of: instance ${source.id} is itself a replica of ${source.replicaOf}`, `create the replica of ${source.replicaOf}, the source`);
  }
  if (source.status !== 'ACTIVE') throw new BerthError('BERTH_ERR_INSTANCE_STATE', `replica_of: instance ${source.id} is ${source.status}; a replica's source must be ACTIVE`, 'wait until the source is ACTIVE');
  const version = deps.registry.version(source.datastore, source.datastoreVersion);
  if (!version) throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `${source.datastore} ${source.datastoreVersion} is no longer configured`);
  if (request.datastore && (request.datastore.type !== source.datastore || (request.datastore.version !== undefined && request.datastore.version !== source.datastoreVersion))) {
    throw new BerthError('BERTH_ERR_VALIDATION', `datastore: a replica runs its source's ${source.datastore} ${source.datastoreVersion}`, 'leave datastore out, or give the source\'s');
  }
  const manifest = deps.manifests.of(version);
  const missing = REPLICA_OPERATIONS.filter((operation) => !manifest.operations.includes(operation));
  if (missing.length > 0) {
    throw new BerthError('BERTH_ERR_OPERATION_UNSUPPORTED', `${manifest.name} ${manifest.version} cannot make replicas (datastore ${source.datastore}: no ${missing.join(', ')})`, 'create a standalone instance from a backup instead');
  }
  const required = await deps.backupRequired(project, source.id);
  const secrets = required && deps.provisioner.secretsOf ? await deps.provisioner.secretsOf(source, version) : undefined;
  const count = request.replicaCount ?? 1;
  // as Trove: several replicas at once are named name-1 .. name-N
  const names = count === 1 ? [request.name] : Array.from({ length: count }, (_, index) => `${request.name}-${index + 1}`);
  return { source, version, names, secrets };
}
