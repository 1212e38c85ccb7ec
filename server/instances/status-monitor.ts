import type { CastParams } from '../../host/rpc/protocol.js';
import type { InstanceRecord, InstanceStatus, Store } from '../store/store.js';
import { operationFault } from './manager-errors.js';

type Heartbeat = CastParams<'guest.heartbeat'>;

export interface StatusMonitorOptions {
  /** An ACTIVE instance whose last heartbeat is older than this shows ERROR (Trove's agent_heartbeat_expiry). */
  heartbeatExpiryMs: number;
  checkEveryMs: number;
  /** A heartbeat on record dated further ahead of the server's clock than this was never real (default 30 s). */
  clockSkewMs?: number;
  onChange?(instance: InstanceRecord, from: InstanceStatus): void;
  /** A heartbeat from an instance an eject fenced (ERROR, BERTH_ERR_REPLICA_FENCED): its guest is back. */
  onFencedHeartbeat?(instance: InstanceRecord): void;
}

/** The fault of an ACTIVE instance whose heartbeats stopped (check()); an automatic failover starts from it (auto-failover.ts). */
export const HEARTBEAT_EXPIRED = 'heartbeat expired';
/** A guest's detail goes into the instance's fault, which the API shows: its word, so a bounded one. */
const MAX_DETAIL_CHARS = 1024;
export const BUILD_TIMEOUT = 'FAILED_TIMEOUT_GUESTAGENT';
/** A replica's fault once seeding or re-pointing failed (replica-links.ts). */
export const REPLICATION_FAILED = 'BERTH_ERR_REPLICATION_FAILED';
/** The fault of a source an eject replaced: ERROR for good, following the new source on record (replication.ts). */
export const FENCED = 'BERTH_ERR_REPLICA_FENCED';
/** Faults a heartbeat does not clear: a build that timed out, a replica whose seeding failed, an ejected (fenced) source. */
const STICKY_FAULTS = [BUILD_TIMEOUT, REPLICATION_FAILED, FENCED];

/** The instance status a guest's service status leads to, from `current`; undefined = no change. */
function next(current: InstanceStatus, fault: string | null, service: Heartbeat['status']): InstanceStatus | undefined {
  // mid-upgrade the guest host restarts by design: the upgrade's own ending decides
  if (current === 'DELETED' || current === 'UPGRADE' || (current === 'ERROR' && STICKY_FAULTS.some((sticky) => fault?.startsWith(sticky)))) return undefined;
  switch (service) {
    case 'running':
    case 'healthy':
      return current === 'REBOOT' || current === 'BACKUP' ? undefined : 'ACTIVE';
    case 'shutdown':
      return current === 'BUILD' || current === 'REBOOT' ? undefined : 'SHUTDOWN';
    case 'crashed':
    case 'failed':
    case 'blocked':
      // mid-restart the datastore is down by design: the restart's own ending decides
      return current === 'BUILD' || current === 'REBOOT' ? undefined : 'ERROR';
    case 'restart-required':
      return 'RESTART_REQUIRED';
    default:
      return undefined;
  }
}

/**
 * Instance status from the guests' heartbeats: BUILD -> ACTIVE when the guest
 * reports RUNNING, ERROR when usage_timeout passes first; ACTIVE -> ERROR when
 * heartbeats stop for longer than the expiry, and back when they return.
 * Heartbeats older than the last one recorded are dropped.
 */
export class StatusMonitor {
  private timer: NodeJS.Timeout | undefined;
  /** One change at a time per instance: two heartbeats read-then-written together would let the older one win. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly options: StatusMonitorOptions,
  ) {}

  onHeartbeat(instanceId: string, heartbeat: Heartbeat, receivedAt = new Date()): Promise<void> {
    return this.serially(instanceId, () => this.applyHeartbeat(instanceId, heartbeat, receivedAt));
  }

  private serially(instanceId: string, step: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(instanceId) ?? Promise.resolve();
    const current = previous.then(step, step);
    const settled = current.catch(() => undefined);
    this.queues.set(instanceId, settled);
    void settled.then(() => {
      if (this.queues.get(instanceId) === settled) this.queues.delete(instanceId);
    });
    return current;
  }

  private async applyHeartbeat(instanceId: string, heartbeat: Heartbeat, receivedAt: Date): Promise<void> {
    const serviceStatus = heartbeat.status.toUpperCase().replace(/-/g, '_');
    // ordered by the guest's time, but never by one later than the server's own
    const sent = { sentAt: new Date(Math.min(heartbeat.sentAt, receivedAt.getTime())), seq: heartbeat.seq, receivedAt, serviceStatus };
    let fresh = await this.store.instances.recordHeartbeat(instanceId, sent);
    if (!fresh && (await this.forgetImpossibleHeartbeat(instanceId, receivedAt))) fresh = await this.store.instances.recordHeartbeat(instanceId, sent);
    if (!fresh) return;
    const instance = await this.store.instances.getById(instanceId);
    if (!instance) return;
    if (instance.status === 'ERROR' && instance.fault?.startsWith(FENCED)) this.options.onFencedHeartbeat?.(instance);
    const status = next(instance.status, instance.fault, heartbeat.status);
    if (status === 'ACTIVE' && instance.status === 'BUILD' && !(await this.prepared(instance))) return;
    if (status && status !== instance.status) {
      const detail = heartbeat.detail ? `: ${heartbeat.detail.slice(0, MAX_DETAIL_CHARS)}` : '';
      const fault = status === 'ERROR' ? `guest reports ${serviceStatus}${detail}` : null;
      await this.transition(instance, status, fault);
    }
  }

  /**
   * Prepare has just succeeded: the datastore's last reported status decides
   * at once. Its heartbeat may have come while prepare was still running (and
   * so could not end BUILD): waiting for the next would cost a report interval.
   */
  onPrepared(instanceId: string): Promise<void> {
    return this.serially(instanceId, () => this.applyPrepared(instanceId));
  }

  /**
   * A restart begins: REBOOT (as Trove shows it) until it ends, whatever the
   * heartbeats of the datastore going down and coming up say meanwhile.
   */
  onRestartStarted(instanceId: string): Promise<void> {
    return this.serially(instanceId, async () => {
      const instance = await this.store.instances.getById(instanceId);
      if (instance && instance.status !== 'DELETED' && instance.status !== 'BUILD' && instance.status !== 'UPGRADE') await this.transition(instance, 'REBOOT', null);
    });
  }

  /**
   * The restart ended: ACTIVE when the manager said it restarted (the host's
   * heartbeat right after corrects that if the datastore is not up), ERROR with
   * the reason when it did not.
   */
  onRestartEnded(instanceId: string, failure: string | undefined): Promise<void> {
    return this.serially(instanceId, async () => {
      const instance = await this.store.instances.getById(instanceId);
      if (instance?.status !== 'REBOOT') return;
      await this.transition(instance, failure === undefined ? 'ACTIVE' : 'ERROR', failure === undefined ? null : operationFault('restart', failure).slice(0, MAX_DETAIL_CHARS));
    });
  }

  private async applyPrepared(instanceId: string): Promise<void> {
    const instance = await this.store.instances.getById(instanceId);
    if (instance?.status !== 'BUILD' || !instance.serviceStatus) return;
    const reported = instance.serviceStatus.toLowerCase().replace(/_/g, '-') as Heartbeat['status'];
    const status = next(instance.status, instance.fault, reported);
    if (status === 'ACTIVE' && (await this.prepared(instance))) await this.transition(instance, status, null);
  }

  /**
   * A store written before heartbeats were checked against the server's
   * clock may hold one dated ahead of it (the end of time, say), which would
   * make every real heartbeat look older, for good. Such a record is dropped.
   */
  private async forgetImpossibleHeartbeat(instanceId: string, now: Date): Promise<boolean> {
    const instance = await this.store.instances.getById(instanceId);
    const recorded = instance?.lastHeartbeatSentAt?.getTime();
    if (recorded === undefined || recorded <= now.getTime() + (this.options.clockSkewMs ?? 30_000)) return false;
    await this.store.instances.update(instanceId, { lastHeartbeatSentAt: null, lastHeartbeatSeq: null });
    return true;
  }

  /**
   * A datastore can run before prepare has created its databases and users:
   * BUILD ends only when the instance's prepare task (if it has one) succeeded
   * with the guest's ok: a task answered with an err is on record as succeeded
   * too, a moment before the instance service turns the instance to ERROR.
   * A replica's BUILD ends once it is attached to its source, too.
   */
  private async prepared(instance: InstanceRecord): Promise<boolean> {
    const tasks = await this.store.tasks.listForInstance(instance.id);
    const prepare = tasks.find((task) => task.operation === 'prepare');
    const prepared = prepare === undefined || (prepare.state === 'succeeded' && answeredOk(prepare.outcome));
    return prepared && (instance.replicaOf === null || tasks.some((task) => task.operation === 'attach-replica' && task.state === 'succeeded' && answeredOk(task.outcome)));
  }

  /**
   * Fence a silent source (an automatic failover's first step): ERROR with
   * `fault` (led by BERTH_ERR_REPLICA_FENCED) only while its heartbeats are
   * still expired, in turn with its heartbeats, so one that has just come
   * back is not fenced behind its own heartbeat. True when it is fenced now
   * (already, too).
   */
  fenceIfSilent(instanceId: string, fault: string): Promise<boolean> {
    let fenced = false;
    return this.serially(instanceId, async () => {
      const instance = await this.store.instances.getById(instanceId);
      if (instance?.status !== 'ERROR') return;
      if (instance.fault?.startsWith(FENCED)) fenced = true;
      else if (instance.fault?.startsWith(HEARTBEAT_EXPIRED)) fenced = (await this.store.instances.update(instanceId, { fault })) !== undefined;
    }).then(() => fenced);
  }

  /** One pass of the time-based rules; `now` is a parameter so tests need no clock tricks. */
  async check(now = new Date()): Promise<void> {
    for (const listed of await this.store.instances.listByStatus(['BUILD', 'ACTIVE'])) {
      if (!this.expired(listed, now)) continue;
      // read again in turn: a heartbeat may have changed it since the list
      await this.serially(listed.id, async () => {
        const instance = await this.store.instances.getById(listed.id);
        const fault = instance && this.expired(instance, now);
        if (fault) await this.transition(instance, 'ERROR', fault);
      });
    }
  }

  /** The fault a time-based rule gives the instance at `now`, if one does. */
  private expired(instance: InstanceRecord, now: Date): string | undefined {
    if (instance.status === 'BUILD' && instance.buildDeadline.getTime() <= now.getTime()) {
      return `${BUILD_TIMEOUT}: the guest did not report RUNNING within the datastore's usage_timeout`;
    }
    if (instance.status !== 'ACTIVE') return undefined;
    const last = instance.lastHeartbeatAt?.getTime() ?? instance.updatedAt.getTime();
    return now.getTime() - last > this.options.heartbeatExpiryMs ? `${HEARTBEAT_EXPIRED}: no heartbeat for ${Math.round((now.getTime() - last) / 1000)} s` : undefined;
  }

  start(): void {
    this.timer = setInterval(() => void this.check().catch(() => undefined), this.options.checkEveryMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async transition(instance: InstanceRecord, status: InstanceStatus, fault: string | null): Promise<void> {
    const updated = await this.store.instances.update(instance.id, { status, fault });
    if (updated) this.options.onChange?.(updated, instance.status);
  }
}

/** Whether a task's recorded outcome is the guest's ok (a void ok is recorded as {}), not its {"err": ...}. */
export function answeredOk(outcome: string | null): boolean {
  if (outcome === null) return false;
  try {
    const parsed: unknown = JSON.parse(outcome);
    return typeof parsed === 'object' && parsed !== null && !('err' in parsed);
  } catch {
    return false;
  }
}
