import { BerthError } from '../../datastores/errors/berth-error.js';
import type { MethodResult } from '../../host/rpc/protocol.js';
import type { FailoverRecord, InstanceRecord, Store } from '../store/store.js';
import type { ReplicaLinks } from './replica-links.js';
import { mostAdvanced } from './replication.js';
import { FENCED, HEARTBEAT_EXPIRED, REPLICATION_FAILED } from './status-monitor.js';
import type { WriteLeases } from './write-leases.js';

export interface AutoFailoverOptions {
  store: Store;
  links: ReplicaLinks;
  /** Whether the instance's version has auto_failover on (a server-side datastore option). */
  enabled(instance: InstanceRecord): boolean;
  /** The replica's host answers whether it reaches its source (guest.source-reachable); undefined: no answer. */
  sourceReachable(replicaId: string, timeoutMs: number): Promise<MethodResult<'guest.source-reachable'> | undefined>;
  /** The status monitor's fenceIfSilent: ERROR, fenced, only while the source is still silent. */
  fence(sourceId: string, fault: string): Promise<boolean>;
  heartbeatExpiryMs: number;
  /** How often silent sources and unfinished failovers are looked at. */
  checkEveryMs: number;
  /** How long a replica's host may take to connect to the source (default 2 s). */
  reachTimeoutMs?: number;
  /** The guest-side write leases (write-leases.ts): renewed no more once a failover begins; no replica is promoted before the old source's has run out. */
  writeLeases?: WriteLeases;
  /** Each step as it is on record (the operator's log). */
  onStep?(record: FailoverRecord): void;
}

const live = (instance: InstanceRecord | undefined): instance is InstanceRecord => instance !== undefined && instance.status !== 'DELETED';
/**
 * A replica that may become the primary or follow it: seeded (not BUILD), not fenced by an earlier failover or
 * eject, not failed seeding. One whose own heartbeats expired too stays one: it may be back by the time it is asked.
 */
const follower = (instance: InstanceRecord): boolean =>
  instance.status !== 'DELETED' && instance.status !== 'BUILD' && !instance.fault?.startsWith(FENCED) && !instance.fault?.startsWith(REPLICATION_FAILED);

/**
 * Automatic failover (docs/replication.md, "Automatic failover"): a source
 * with auto_failover on whose heartbeats expired, and which no replica that
 * answers still reaches, is fenced in the store first, then its most advanced
 * replica becomes the primary and the others follow it. Each step is on
 * record (the store's failovers) before it runs and may run again: a server
 * restarted part-way resumes. One failover per replication group at a time.
 */
export class AutoFailover {
  private timer: NodeJS.Timeout | undefined;
  /** Groups this process is working on: a sweep and a status change do not run one twice at once. */
  private readonly busy = new Set<string>();

  constructor(private readonly options: AutoFailoverOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep().catch(() => undefined), this.options.checkEveryMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Unfinished failovers (a server restarted part-way) go on; silent sources are looked at again. */
  async sweep(now = Date.now()): Promise<void> {
    for (const record of await this.options.store.failovers.listUnfinished()) await this.consider(record.sourceId, now);
    for (const instance of await this.options.store.instances.listByStatus(['ERROR'])) {
      if (instance.replicaOf === null && instance.fault?.startsWith(HEARTBEAT_EXPIRED)) await this.consider(instance.id, now);
    }
  }

  /** A source's status changed (the status monitor's onChange), or a sweep came by. Never throws. */
  async consider(sourceId: string, now = Date.now()): Promise<void> {
    if (this.busy.has(sourceId)) return;
    this.busy.add(sourceId);
    try {
      const record = await this.options.store.failovers.get(sourceId);
      if (record) {
        if (record.step !== 'done') await this.proceed(record);
      } else if (await this.shouldFailOver(sourceId, now)) {
        if (await this.options.store.failovers.begin(sourceId, 'fenced')) await this.proceed((await this.options.store.failovers.get(sourceId))!);
      }
    } catch (error) {
      // tried again at the next sweep, from the step on record
      const detail = error instanceof Error ? error.message : String(error);
      await this.options.store.failovers.update(sourceId, { detail: detail.slice(0, 1024) }).catch(() => undefined);
    } finally {
      this.busy.delete(sourceId);
    }
  }

  /** The detection rule: opted in, heartbeats expired, and no replica that answers reaches the source. */
  private async shouldFailOver(sourceId: string, now: number): Promise<boolean> {
    const { store, enabled, heartbeatExpiryMs, sourceReachable, reachTimeoutMs = 2000 } = this.options;
    const source = await store.instances.getById(sourceId);
    if (!live(source) || source.replicaOf !== null || !enabled(source)) return false;
    if (source.status !== 'ERROR' || !source.fault?.startsWith(HEARTBEAT_EXPIRED)) return false;
    if (now - (source.lastHeartbeatAt?.getTime() ?? 0) <= heartbeatExpiryMs) return false;
    const replicas = (await store.instances.listReplicas(source.id)).filter(follower);
    if (replicas.length === 0) return false;
    // a replica that does not answer does not confirm the source is gone, nor that it is there
    const answers = await Promise.all(replicas.map((replica) => sourceReachable(replica.id, reachTimeoutMs)));
    return !answers.some((answer) => answer?.reachable === true);
  }

  private async proceed(record: FailoverRecord): Promise<void> {
    const { store } = this.options;
    const source = await store.instances.getById(record.sourceId);
    if (!live(source)) return store.failovers.update(record.sourceId, { step: 'done', detail: 'the source was deleted' });
    let current = record;
    if (current.step === 'fenced') {
      const fault = `${FENCED}: automatic failover: its heartbeats expired and no replica reached it; a replica becomes the source. Delete this instance (it must not take writes as a second primary).`;
      // no renewal goes out from here on: the lease on record is the last the old source may hold
      this.options.writeLeases?.forget(source.id);
      if (!(await this.options.fence(source.id, fault))) {
        // its heartbeats came back before it was fenced: no failover (a later silence may start one)
        this.options.writeLeases?.resume(source.id);
        await store.failovers.forget(source.id);
        return;
      }
      current = await this.advance(current, { step: 'chosen', newSourceId: (await this.choose(source)).id });
    }
    if (current.step === 'chosen') current = await this.promote(source, current);
    if (current.step === 'promoted') {
      const primary = await store.instances.getById(current.newSourceId!);
      if (live(primary)) await this.options.links.repoint((await store.instances.listReplicas(primary.id)).filter((replica) => replica.id !== source.id && follower(replica)), primary);
      await this.advance(current, { step: 'done', detail: null });
    }
  }

  private async advance(record: FailoverRecord, patch: Partial<Pick<FailoverRecord, 'step' | 'newSourceId' | 'detail'>>): Promise<FailoverRecord> {
    await this.options.store.failovers.update(record.sourceId, patch);
    const next = { ...record, ...patch };
    this.options.onStep?.(next);
    return next;
  }

  /** The replica that applied the most (get-last-txn), as an eject picks it. */
  private async choose(source: InstanceRecord): Promise<InstanceRecord> {
    const { links, store } = this.options;
    const replicas = (await store.instances.listReplicas(source.id)).filter(follower);
    const best = await mostAdvanced(links, replicas);
    if (!best) throw new BerthError('BERTH_ERR_REPLICATION_FAILED', `no replica of ${source.id} answered get-last-txn`, 'the failover is tried again when one does');
    return best;
  }

  /** The chosen replica becomes the primary; the records say so once it is. Repeatable: a resumed failover runs it again. */
  private async promote(source: InstanceRecord, record: FailoverRecord): Promise<FailoverRecord> {
    const { links, store, writeLeases } = this.options;
    const leaseEnds = writeLeases?.expiredAt(source.id);
    if (leaseEnds !== undefined && leaseEnds > Date.now()) throw new BerthError('BERTH_ERR_INSTANCE_STATE', `the write lease of ${source.id} runs until ${new Date(leaseEnds).toISOString()}`, 'the failover goes on once it has run out');
    const best = await store.instances.getById(record.newSourceId!);
    // the chosen one was deleted meanwhile: another is chosen at the next sweep
    if (!live(best)) return this.advance(record, { step: 'fenced', newSourceId: null, detail: `the chosen replica ${record.newSourceId} is gone` });
    // on record as following the old source until the swap below; after a resume, the swap may be done already
    const others = [...(await store.instances.listReplicas(source.id)), ...(await store.instances.listReplicas(best.id))].filter((replica) => replica.id !== best.id && replica.id !== source.id && follower(replica));
    // a replica detached already (a resumed failover) answers not-found: it is detached
    await links.run(best, 'detach-replica', [true]).catch((error: unknown) => {
      if (!(error instanceof BerthError && error.code === 'BERTH_ERR_MANAGER_NOT_FOUND')) throw error;
    });
    await links.enableAsMaster(best, others);
    await store.instances.update(best.id, { replicaOf: null });
    await store.instances.update(source.id, { replicaOf: best.id });
    for (const follower of others) await store.instances.update(follower.id, { replicaOf: best.id });
    return this.advance(record, { step: 'promoted', detail: null });
  }
}
