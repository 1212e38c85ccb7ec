import { BerthError } from '../../datastores/errors/berth-error.js';
import type { OperationName } from '../../datastores/sdk/operations.js';
import type { ReplicationSnapshot } from '../../host/generated/interfaces/berth-datastore-replication.js';
import type { KeyValue } from '../../host/generated/interfaces/berth-datastore-types.js';
import { SNAPSHOT_SHA256_KEY, SNAPSHOT_SIZE_KEY } from '../../host/rpc/artifact-names.js';
import { laneOf } from '../../host/sandbox/lanes.js';
import type { InstanceRecord, Store } from '../store/store.js';
import { parseEndpoint } from './endpoint.js';
import { managerErrorToBerth } from './manager-errors.js';
import { answeredOk, REPLICATION_FAILED } from './status-monitor.js';
import type { TaskRunner } from './task-runner.js';

/** The backup store's side of a replication snapshot: an artifact of the source, removed once the replica has it. */
export interface SnapshotArtifacts {
  /** A backup record of the source, BUILDING, that the source's get-replication-snapshot may upload into; its id. */
  open(source: InstanceRecord): Promise<string>;
  /** Once uploaded: COMPLETED, with the size and sha256 the replica's host checks. */
  complete(id: string): Promise<{ size: number; sha256: string }>;
  drop(id: string): Promise<void>;
}

export interface ReplicaLinkOptions {
  store: Store;
  runner: TaskRunner;
  timeouts: { quickCallMs: number; slowCallMs: number };
  snapshots?: SnapshotArtifacts;
  /** The replica follows its source: BUILD may end (the status monitor's onPrepared). */
  onAttached?(instanceId: string): Promise<void>;
}

/** docs/replication.md's replica-name: `berth_` and the instance id without dashes. */
export function replicaName(instanceId: string): string {
  return `berth_${instanceId.replace(/-/g, '')}`;
}

/** Where the instance listens; host '' and port 0 while it has no endpoint (the contract's "fill it in"). */
const endpointOf = (instance: InstanceRecord): { host: string; port: number } => parseEndpoint(instance.endpoint) ?? { host: '', port: 0 };

/** Seeding a replica, pointing one at a source, and making a guest a primary: the steps replication.ts composes. */
export class ReplicaLinks {
  constructor(private readonly options: ReplicaLinkOptions) {}

  /** Run one operation on a guest; its manager-error, or the server's, as a BerthError naming the operation. */
  async run(instance: InstanceRecord, operation: OperationName, args: unknown[]): Promise<unknown> {
    const { runner, timeouts } = this.options;
    const deadlineMs = laneOf(operation) === 'slow' ? timeouts.slowCallMs : timeouts.quickCallMs;
    const outcome = await runner.run(instance.id, operation, args, deadlineMs);
    if ('err' in outcome) throw managerErrorToBerth(outcome.err, operation);
    return outcome.ok;
  }

  /**
   * After a replica's prepare succeeded: seed it from its source (a snapshot
   * artifact when the manager needs one) and attach it. BUILD until attached,
   * ACTIVE after; ERROR with BERTH_ERR_REPLICATION_FAILED when a step failed.
   */
  async seed(replicaId: string): Promise<void> {
    const { store } = this.options;
    const replica = await store.instances.getById(replicaId);
    if (!replica || replica.replicaOf === null || replica.status !== 'BUILD') return;
    try {
      const source = await store.instances.getById(replica.replicaOf);
      if (!source || source.status === 'DELETED') throw new BerthError('BERTH_ERR_INSTANCE_NOT_FOUND', `source ${replica.replicaOf} is gone`);
      const required = (await this.run(source, 'backup-required-for-replication', [])) === true;
      await this.follow(replica, source, required);
    } catch (error) {
      await this.failed(replica, `seeding from ${replica.replicaOf}`, error);
      return;
    }
    await this.options.onAttached?.(replica.id);
  }

  /**
   * Point `follower` at `source`: get-replication-snapshot on the source
   * (writing a snapshot artifact when `seed`; an empty snapshot-id when the
   * follower already has the data), then attach-replica on the follower.
   */
  async follow(follower: InstanceRecord, source: InstanceRecord, seed: boolean): Promise<void> {
    const { snapshots } = this.options;
    if (seed && !snapshots) throw new BerthError('BERTH_ERR_OPERATION_UNSUPPORTED', 'this server has no backup store to seed replicas through');
    const settings: KeyValue[] = [
      { key: 'replica-name', value: replicaName(follower.id) },
      { key: 'replica-host', value: endpointOf(follower).host },
    ];
    const snapshotId = seed ? await snapshots!.open(source) : '';
    try {
      const snapshot = (await this.run(source, 'get-replication-snapshot', [snapshotId, settings])) as ReplicationSnapshot;
      const endpoint = endpointOf(source);
      const extra = [...snapshot.extra.filter((kv) => kv.key !== SNAPSHOT_SIZE_KEY && kv.key !== SNAPSHOT_SHA256_KEY)];
      if (seed) {
        const artifact = await snapshots!.complete(snapshotId);
        extra.push({ key: SNAPSHOT_SIZE_KEY, value: String(artifact.size) }, { key: SNAPSHOT_SHA256_KEY, value: artifact.sha256 });
      }
      const attach: ReplicationSnapshot = {
        ...snapshot,
        // the artifact the server opened, whatever the guest's answer says
        snapshotId,
        source: { ...snapshot.source, host: snapshot.source.host || endpoint.host, port: snapshot.source.port || endpoint.port },
        extra,
      };
      await this.run(follower, 'attach-replica', [attach, settings]);
    } finally {
      if (seed) await snapshots!.drop(snapshotId).catch(() => undefined);
    }
  }

  /** enable-as-master on `primary`, serving exactly `replicas`. */
  async enableAsMaster(primary: InstanceRecord, replicas: readonly InstanceRecord[]): Promise<void> {
    await this.run(primary, 'enable-as-master', [[{ key: 'replicas', value: replicas.map((replica) => replicaName(replica.id)).join(',') }]]);
  }

  /** Each follower attaches to the new source from the data it has (an empty snapshot-id); one that cannot shows ERROR. */
  async repoint(followers: readonly InstanceRecord[], primary: InstanceRecord): Promise<void> {
    for (const follower of followers) {
      const current = await this.options.store.instances.getById(follower.id);
      if (!current) continue;
      await this.follow(current, primary, false)
        // diverged from the new source (docs/replication.md): re-seeded with a snapshot when the datastore seeds from one
        .catch(async (error: unknown) => {
          if (!(error instanceof BerthError && error.code === 'BERTH_ERR_MANAGER_INVALID_ARGUMENT')) throw error;
          await this.follow(current, primary, (await this.run(primary, 'backup-required-for-replication', [])) === true);
        })
        .catch((error: unknown) => this.failed(current, `following the new source ${primary.id}`, error));
    }
  }

  /** The instance shows ERROR with a fault led by BERTH_ERR_REPLICATION_FAILED, saying which step failed. */
  async failed(instance: InstanceRecord, step: string, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const current = await this.options.store.instances.getById(instance.id);
    if (!current || current.status === 'DELETED') return;
    await this.options.store.instances.update(instance.id, { status: 'ERROR', fault: `${REPLICATION_FAILED}: ${step}: ${message}`.slice(0, 1024) });
  }

  /** Replicas a previous server process left in BUILD, prepared but not attached: seeded again (get-replication-snapshot is idempotent per replica). */
  async resumeSeeding(): Promise<void> {
    for (const instance of await this.options.store.instances.listByStatus(['BUILD'])) {
      if (instance.replicaOf === null) continue;
      const tasks = await this.options.store.tasks.listForInstance(instance.id);
      const prepared = tasks.some((task) => task.operation === 'prepare' && task.state === 'succeeded' && answeredOk(task.outcome));
      if (prepared) void this.seed(instance.id).catch(() => undefined);
    }
  }
}
