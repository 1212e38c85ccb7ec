import { BerthError } from '../../datastores/errors/berth-error.js';
import type { OperationName } from '../../datastores/sdk/operations.js';
import type { ManifestCatalog } from '../registry/manifests.js';
import type { DatastoreRegistry } from '../registry/registry.js';
import type { InstanceRecord, Store } from '../store/store.js';
import type { ReplicaLinks } from './replica-links.js';
import { FENCED } from './status-monitor.js';

export interface ReplicationOptions {
  store: Store;
  links: ReplicaLinks;
  /** An instance of the project (BERTH_ERR_INSTANCE_NOT_FOUND otherwise). */
  get(project: string, id: string): Promise<InstanceRecord>;
  /** Whether the instance's manager claims the operation. */
  claims(instance: InstanceRecord, operation: OperationName): boolean;
  /** A source whose last heartbeat is more recent than this is alive: it is not ejected (Trove's rule). */
  heartbeatExpiryMs: number;
  /** How long a switchover waits for the candidate to apply the source's last write. */
  catchUpSeconds: number;
}


/** Whether the instance's manager claims the operation (its manifest says). */
export function claims(registry: DatastoreRegistry, manifests: ManifestCatalog, instance: InstanceRecord, operation: OperationName): boolean {
  const version = registry.version(instance.datastore, instance.datastoreVersion);
  return version !== undefined && manifests.of(version).operations.includes(operation);
}

export type Position = { sourceId: string; transactionId: string };

function positionOf(value: unknown): bigint | undefined {
  const id = (value as Partial<Position> | undefined)?.transactionId;
  return typeof id === 'string' && /^\d{1,40}$/.test(id) ? BigInt(id) : undefined;
}

/** The replica that applied the most (get-last-txn), among those that answer; undefined when none does. Eject and automatic failover pick by it. */
export async function mostAdvanced(links: ReplicaLinks, replicas: readonly InstanceRecord[]): Promise<InstanceRecord | undefined> {
  const positions = await Promise.all(replicas.map(async (replica) => ({ replica, at: positionOf(await links.run(replica, 'get-last-txn', []).catch(() => undefined)) })));
  const answered = positions.filter((p): p is { replica: InstanceRecord; at: bigint } => p.at !== undefined);
  return answered.length === 0 ? undefined : answered.reduce((a, b) => (b.at > a.at ? b : a)).replica;
}

/**
 * Trove's replica actions, composed of the contract's operations in the
 * order docs/replication.md gives: detach (PUT replica_of null), promote
 * (a planned switchover) and eject (the source is gone). The store records
 * who follows whom as each step commits.
 */
export class Replication {
  /** Fenced sources told to refuse writes on their current guest connection. */
  private readonly refused = new Set<string>();

  constructor(private readonly options: ReplicationOptions) {}

  /**
   * A fenced source's guest is heard from again (it restarted, reconnected,
   * or was only frozen): its datastore is told to refuse writes, once per
   * guest connection, so it never takes writes as a second primary. Demoted
   * where the manager can (PostgreSQL: recovery refuses every write), else
   * read-only; both are kept by the manager across restarts. A failure is
   * tried again at the next heartbeat.
   */
  async fenceReturned(instance: InstanceRecord): Promise<void> {
    if (this.refused.has(instance.id)) return;
    this.refused.add(instance.id);
    const { links, claims } = this.options;
    try {
      if (claims(instance, 'demote-replication-master')) await links.run(instance, 'demote-replication-master', []);
      else await links.run(instance, 'make-read-only', [true]);
    } catch {
      this.refused.delete(instance.id);
    }
  }

  /** The guest's connection ended: when it comes back, it is fenced again. */
  guestGone(instanceId: string): void {
    this.refused.delete(instanceId);
  }

  private async replica(project: string, id: string): Promise<{ replica: InstanceRecord; source: InstanceRecord }> {
    const replica = await this.options.get(project, id);
    if (replica.replicaOf === null) throw new BerthError('BERTH_ERR_REPLICATION_ROLE', `instance ${id} is not a replica`, 'detach and promote act on a replica');
    if (replica.status !== 'ACTIVE') throw new BerthError('BERTH_ERR_INSTANCE_STATE', `replica ${id} is ${replica.status}`, 'wait until it is ACTIVE');
    const source = await this.options.store.instances.getById(replica.replicaOf);
    if (!source || source.status === 'DELETED') throw new BerthError('BERTH_ERR_INSTANCE_NOT_FOUND', `the source ${replica.replicaOf} of replica ${id} is gone`);
    return { replica, source };
  }

  private step<T>(what: string, work: () => Promise<T>): Promise<T> {
    return work().catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      throw new BerthError('BERTH_ERR_REPLICATION_FAILED', `${what}: ${message}`, 'the instances\' faults and replica_of say where each one stands');
    });
  }

  /** A source is not deleted while replicas follow it (BERTH_ERR_REPLICA_SOURCE). */
  async refuseDeleteOfSource(instance: InstanceRecord): Promise<void> {
    const replicas = await this.options.store.instances.listReplicas(instance.id);
    if (replicas.length === 0) return;
    throw new BerthError('BERTH_ERR_REPLICA_SOURCE', `instance ${instance.id} is the source of ${replicas.map((replica) => replica.id).join(', ')}`, 'detach (PUT replica_of null) or delete its replicas first, or promote one');
  }

  /** Trove's detach (PUT replica_of null): the replica becomes a standalone read-write instance. */
  async detach(project: string, id: string): Promise<void> {
    const { replica, source } = await this.replica(project, id);
    const { links, store } = this.options;
    await this.step(`detach-replica on ${replica.id}`, () => links.run(replica, 'detach-replica', [false]));
    await store.instances.update(replica.id, { replicaOf: null });
    // the source drops what it kept for this replica (an account, a slot). A source that is not ACTIVE (gone, or
    // silent past heartbeat_expiry) gets it when it is back, within slow_call: the answer does not wait that long.
    // One that never comes back in time is settled by its next enable-as-master.
    const remaining = await store.instances.listReplicas(source.id);
    const dropped = links.enableAsMaster(source, remaining).catch(() => undefined);
    if (source.status === 'ACTIVE') await dropped;
  }

  /**
   * Trove's promote_to_replica_source, a planned switchover: the source stops
   * taking writes, the candidate applies its last one (no acknowledged write
   * is lost), becomes the primary, and the old source and the other replicas
   * follow it.
   */
  async promote(project: string, id: string): Promise<void> {
    const { replica: candidate, source } = await this.replica(project, id);
    const { links, store, catchUpSeconds } = this.options;
    const others = (await store.instances.listReplicas(source.id)).filter((replica) => replica.id !== candidate.id);
    await this.step(`make-read-only on ${source.id}`, () => links.run(source, 'make-read-only', [true]));
    try {
      const latest = await this.step(`get-latest-txn-id on ${source.id}`, () => links.run(source, 'get-latest-txn-id', []));
      await this.step(`wait-for-txn on ${candidate.id}`, () => links.run(candidate, 'wait-for-txn', [String(latest), catchUpSeconds]));
      await this.step(`detach-replica on ${candidate.id}`, () => links.run(candidate, 'detach-replica', [true]));
    } catch (error) {
      // nothing changed hands yet: the source takes writes again
      await links.run(source, 'make-read-only', [false]).catch(() => undefined);
      throw error;
    }
    await this.step(`enable-as-master on ${candidate.id}`, () => links.enableAsMaster(candidate, [source, ...others]));
    // from here the candidate is the source on record, whatever happens to the followers
    await store.instances.update(candidate.id, { replicaOf: null });
    for (const follower of [source, ...others]) await store.instances.update(follower.id, { replicaOf: candidate.id });
    if (this.options.claims(source, 'demote-replication-master')) {
      await links.run(source, 'demote-replication-master', []).catch((error: unknown) => links.failed(source, `demote-replication-master after the promotion of ${candidate.id}`, error));
    }
    await this.options.links.repoint([source, ...others], candidate);
  }

  /**
   * Trove's eject_replica_source, when the source is gone: the replica that
   * applied the most (get-last-txn) becomes the primary, the others follow
   * it, and the old source is fenced: ERROR, on record as a replica of the
   * new source, never again a primary.
   */
  async eject(project: string, id: string, now = Date.now()): Promise<void> {
    const source = await this.options.get(project, id);
    const { links, store, heartbeatExpiryMs } = this.options;
    const replicas = (await store.instances.listReplicas(source.id)).filter((replica) => replica.status !== 'DELETED');
    if (replicas.length === 0) throw new BerthError('BERTH_ERR_REPLICATION_ROLE', `instance ${id} is not a replica source`, 'eject acts on the source of replicas');
    // one failover per replication group at a time (auto-failover.ts)
    const automatic = await store.failovers.get(source.id);
    if (automatic && automatic.step !== 'done') throw new BerthError('BERTH_ERR_INSTANCE_STATE', `an automatic failover of ${id} is under way (step ${automatic.step})`, 'wait for it to complete: the instances\' replica_of say where each one stands');
    const last = source.lastHeartbeatAt?.getTime() ?? 0;
    if (now - last <= heartbeatExpiryMs && source.status !== 'ERROR' && source.status !== 'SHUTDOWN') {
      throw new BerthError('BERTH_ERR_INSTANCE_STATE', `source ${id} has a current heartbeat (${Math.round((now - last) / 1000)} s ago): it is not ejected`, 'promote a replica instead (promote_to_replica_source), or wait until the source is unreachable');
    }
    const best = await mostAdvanced(links, replicas);
    if (!best) throw new BerthError('BERTH_ERR_REPLICATION_FAILED', `no replica of ${id} answered get-last-txn`, 'bring a replica back, then eject again');
    const others = replicas.filter((replica) => replica.id !== best.id);
    await this.step(`detach-replica on ${best.id}`, () => links.run(best, 'detach-replica', [true]));
    await this.step(`enable-as-master on ${best.id}`, () => links.enableAsMaster(best, others));
    await store.instances.update(best.id, { replicaOf: null });
    await store.instances.update(source.id, { replicaOf: best.id, status: 'ERROR', fault: `${FENCED}: ejected; ${best.id} is the source now. Delete this instance (it must not take writes as a second primary).` });
    for (const follower of others) await store.instances.update(follower.id, { replicaOf: best.id });
    await this.options.links.repoint(others, best);
  }
}
