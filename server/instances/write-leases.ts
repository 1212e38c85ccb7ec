import { LEASE_MAX_MS, LEASE_MIN_MS, type MethodParams, type MethodResult } from '../../host/rpc/protocol.js';
import type { InstanceRecord, InstanceStatus, Store } from '../store/store.js';
import { FENCED } from './status-monitor.js';

/** What failover asks of the write leases (docs/replication.md, "The write lease"). */
export interface WriteLeases {
  /**
   * The time (this server's Date.now()) after which the instance's datastore
   * is guaranteed to refuse writes, unless a renewal is sent meanwhile;
   * undefined while its host has not acknowledged holding a lease (never
   * leased, released, or this server restarted since).
   */
  expiredAt(instanceId: string): number | undefined;
  /** Stop renewing its lease (ahead of a failover): expiredAt moves no further. */
  forget(instanceId: string): void;
  /** Renew it again (a failover that did not happen). */
  resume(instanceId: string): void;
}

export interface LeaseHub {
  lease(instanceId: string, params: MethodParams<'guest.lease'>, timeoutMs: number): Promise<MethodResult<'guest.lease'>>;
  isConnected(instanceId: string): boolean;
}

export interface LeaseKeeperOptions {
  store: Store;
  hub: LeaseHub;
  durationMs: number;
  renewEveryMs: number;
  /** Added to expiredAt: the host's make-read-only and the clocks' rate difference (the server's quick_call timeout). */
  marginMs: number;
  now?: () => number;
  onError?(instanceId: string, error: unknown): void;
}

interface Lease {
  /** The host's latest token and when this server received it. */
  token?: string;
  tokenAt?: number;
  /** When the token sent in the latest renewal was received: the host's lease runs from before that. */
  sentTokenAt?: number;
  /** The host answered held at least once: it runs the lease (and fences itself when it lapses). */
  held: boolean;
  inFlight: boolean;
  forgotten: boolean;
}

const isFenced = (instance: InstanceRecord) => instance.status === 'ERROR' && instance.fault?.startsWith(FENCED) === true;

const LIVE: readonly InstanceStatus[] = ['BUILD', 'ACTIVE', 'ERROR', 'SHUTDOWN', 'REBOOT', 'BACKUP', 'RESTART_REQUIRED', 'UPGRADE'];

/**
 * Renews the write lease of every replication source (an instance no other
 * follows, that others follow) while its guest is connected, and releases it
 * once the instance is a source no more. It never changes an instance's
 * status: a lease it cannot renew lapses on the host, which is the point.
 */
export class LeaseKeeper implements WriteLeases {
  private readonly leases = new Map<string, Lease>();
  /** Guests connected since the last pass: one not a source is released once (a lease left from before this server). */
  private readonly connected = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private passing: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: LeaseKeeperOptions) {
    this.now = options.now ?? Date.now;
  }

  expiredAt(instanceId: string): number | undefined {
    const lease = this.leases.get(instanceId);
    if (!lease?.held || lease.sentTokenAt === undefined) return undefined;
    return lease.sentTokenAt + this.options.durationMs + this.options.marginMs;
  }

  forget(instanceId: string): void {
    this.leaseOf(instanceId).forgotten = true;
  }

  resume(instanceId: string): void {
    const lease = this.leases.get(instanceId);
    if (lease) lease.forgotten = false;
  }

  guestConnected(instanceId: string): void {
    this.connected.add(instanceId);
    // a host that restarted stays fenced until its first renewal: that one comes now, not a renewal interval later
    if (this.leases.has(instanceId)) void this.pass();
  }

  start(): void {
    this.timer = setInterval(() => void this.pass(), this.options.renewEveryMs);
    this.timer.unref();
    void this.pass();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One round: every source renewed, every former source released. */
  pass(): Promise<void> {
    this.passing ??= this.round().finally(() => (this.passing = undefined));
    return this.passing;
  }

  private async round(): Promise<void> {
    let instances: InstanceRecord[];
    try {
      instances = await this.options.store.instances.listByStatus(LIVE);
    } catch (error) {
      this.options.onError?.('*', error);
      return;
    }
    const followed = new Set(instances.map((instance) => instance.replicaOf).filter((id): id is string => id !== null));
    // a fenced source (an eject or a failover replaced it) is neither renewed nor released: its host keeps the
    // lapsed lease on record, so it fences its datastore again at every start, before anything else
    const fenced = new Set(instances.filter(isFenced).map((instance) => instance.id));
    for (const id of fenced) this.leaseOf(id).forgotten = true;
    const sources = instances.filter((instance) => instance.replicaOf === null && followed.has(instance.id) && !fenced.has(instance.id));
    const sourceIds = new Set(sources.map((source) => source.id));
    const renewals = sources.filter((source) => !this.leaseOf(source.id).forgotten).map((source) => this.renew(source.id));
    const released = instances.filter((instance) => !sourceIds.has(instance.id) && !fenced.has(instance.id) && (this.leases.has(instance.id) || this.connected.has(instance.id)));
    const listed = new Set(instances.map((instance) => instance.id));
    for (const id of [...this.leases.keys()]) if (!listed.has(id)) this.leases.delete(id);
    for (const id of [...this.connected]) if (!listed.has(id) || sourceIds.has(id)) this.connected.delete(id);
    await Promise.all([...renewals, ...released.map((instance) => this.release(instance))]);
  }

  private async renew(instanceId: string, again = true): Promise<void> {
    const lease = this.leaseOf(instanceId);
    if (lease.inFlight || !this.options.hub.isConnected(instanceId)) return;
    lease.inFlight = true;
    const { token, tokenAt } = lease;
    // from the moment it is sent the host may hold a lease from that token on, answered or not
    if (tokenAt !== undefined) lease.sentTokenAt = Math.max(lease.sentTokenAt ?? 0, tokenAt);
    try {
      const answer = await this.options.hub.lease(instanceId, { durationMs: this.options.durationMs, ...(token ? { token } : {}) }, this.options.durationMs);
      lease.token = answer.token;
      lease.tokenAt = this.now();
      if (answer.held) lease.held = true;
      lease.inFlight = false;
      // a host's first token (a new connection, a restarted host) is used at once: the lease runs from the next renewal
      if (!answer.held && again && !lease.forgotten) await this.renew(instanceId, false);
    } catch (error) {
      lease.inFlight = false;
      this.options.onError?.(instanceId, error);
    }
  }

  private async release(instance: InstanceRecord): Promise<void> {
    if (!this.options.hub.isConnected(instance.id)) return;
    const lease = this.leases.get(instance.id);
    if (lease?.inFlight) return;
    if (lease) lease.inFlight = true;
    // a standalone primary takes writes again; a replica is left as the server's operations set it
    const restoreWrites = instance.replicaOf === null;
    try {
      await this.options.hub.lease(instance.id, { release: true, restoreWrites }, this.options.durationMs);
      this.leases.delete(instance.id);
    } catch (error) {
      // a lease this server gave is released again at the next pass; a guess at one left from before, not
      if (lease) lease.inFlight = false;
      this.options.onError?.(instance.id, error);
    } finally {
      this.connected.delete(instance.id);
    }
  }

  private leaseOf(instanceId: string): Lease {
    let lease = this.leases.get(instanceId);
    if (!lease) {
      lease = { held: false, inFlight: false, forgotten: false };
      this.leases.set(instanceId, lease);
    }
    return lease;
  }
}

/**
 * The lease's timings from the server's timeouts: write_lease (half of
 * heartbeat_expiry by default, always shorter: the config refuses more),
 * renewed three times per lease, and quick_call for the host's make-read-only.
 */
export function leaseTimings(timeouts: { heartbeat_expiry: number; quick_call: number; write_lease?: number | undefined }): { durationMs: number; renewEveryMs: number; marginMs: number } {
  const durationMs = Math.min(LEASE_MAX_MS, Math.max(LEASE_MIN_MS, Math.round((timeouts.write_lease ?? timeouts.heartbeat_expiry / 2) * 1000)));
  return { durationMs, renewEveryMs: Math.max(LEASE_MIN_MS / 2, Math.floor(durationMs / 3)), marginMs: Math.round(timeouts.quick_call * 1000) };
}
