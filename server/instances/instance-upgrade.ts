import { BerthError } from '../../datastores/errors/berth-error.js';
import type { ErrorCode } from '../../datastores/errors/catalogue.js';
import { encodeWire } from '../../host/rpc/wire-values.js';
import type { ManifestCatalog } from '../registry/manifests.js';
import type { DatastoreRegistry, DatastoreVersion } from '../registry/registry.js';
import type { Provisioner } from '../provisioning/provisioner.js';
import type { InstanceRecord, InstanceStatus, Store, UpgradeRecord } from '../store/store.js';
import { managerErrorToBerth } from './manager-errors.js';
import type { TaskRunner } from './task-runner.js';

type KeyValue = { key: string; value: string };

export interface InstanceUpgradeOptions {
  store: Store;
  registry: DatastoreRegistry;
  manifests: ManifestCatalog;
  provisioner: Provisioner;
  runner: TaskRunner;
  /** Resolves true once the instance's guest is connected running this build (its hello's sha256), false at untilMs. */
  waitForManager(instanceId: string, sha256: string, untilMs: number): Promise<boolean>;
  /** Deadline of pre-upgrade and post-upgrade (slow-lane operations). */
  slowCallMs: number;
}

/** A fault led by its catalogue code, as the API shows it (fault.message). */
function fault(code: ErrorCode, message: string): string {
  return `${code}: ${message}`.slice(0, 2048);
}

/** Our own shutdown: the upgrade stays on record as it is, for the next server process to recover. */
const stopping = (error: unknown): boolean => error instanceof BerthError && error.code === 'BERTH_ERR_SERVER_STOPPING';

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const isUnsupported = (err: unknown): boolean => (err as { tag?: unknown } | null)?.tag === 'unsupported';

/**
 * Trove's instance upgrade: the guest's manager swapped for another build of
 * the same datastore. UPGRADE while pre-upgrade (old manager) saves what must
 * survive, the provisioner restarts the guest host on the new build,
 * post-upgrade (new manager) gets what was saved; ACTIVE on the new version
 * after. A failure after the swap restarts the host on the old build: ACTIVE
 * on the old version with the failure in the fault. Each phase is on record
 * (the instance's upgrade), so a restarted server rolls an unfinished one
 * back (or forward, when post-upgrade had succeeded).
 */
export class InstanceUpgrades {
  private readonly running = new Map<string, Promise<void>>();
  /** The upgrades waiting for a guest host to come up on a build: told when that host refused to start. */
  private readonly hostWaits = new Map<string, (reason: string) => void>();

  constructor(private readonly options: InstanceUpgradeOptions) {}

  /** The version `ref` (a name or an id) names, if the instance may move to it. */
  private target(instance: InstanceRecord, ref: string): DatastoreVersion {
    const { registry } = this.options;
    const own = registry.get(instance.datastore);
    const offered = own?.versions.filter((v) => v.active && v.name !== instance.datastoreVersion).map((v) => v.name) ?? [];
    const fix = offered.length > 0 ? `give one of ${instance.datastore}'s versions: ${offered.join(', ')}` : `datastore ${instance.datastore} has no other active version to upgrade to`;
    const version = registry.version(instance.datastore, ref);
    if (!version) {
      const elsewhere = registry.versionById(ref) ?? registry.list().flatMap((d) => d.versions).find((v) => v.name === ref);
      const why = elsewhere ? `${ref} is a version of datastore ${elsewhere.datastore}, not of this instance's ${instance.datastore}` : `datastore ${instance.datastore} has no version ${ref}`;
      throw new BerthError('BERTH_ERR_UPGRADE_VERSION', `instance.datastore_version: ${why}`, fix);
    }
    if (!version.active && version.name !== instance.datastoreVersion) {
      throw new BerthError('BERTH_ERR_UPGRADE_VERSION', `instance.datastore_version: ${instance.datastore} ${version.name} is not active`, fix);
    }
    return version;
  }

  /**
   * Validate and start an upgrade; it runs on after the answer. Upgrading to
   * the version the instance already runs changes nothing (as in Trove).
   */
  async start(instance: InstanceRecord, ref: string): Promise<void> {
    const target = this.target(instance, ref);
    if (target.name === instance.datastoreVersion) return;
    const { provisioner, registry } = this.options;
    if (!provisioner.swapManager) {
      throw new BerthError('BERTH_ERR_UPGRADE_UNSUPPORTED', `instance ${instance.id} cannot be upgraded: the ${provisioner.kind} provisioner cannot restart its guest on another manager build`, `install ${target.manager.path} (sha256 ${target.manager.sha256}) on the guest and create a new instance from a backup`);
    }
    if (instance.status !== 'ACTIVE' || this.running.has(instance.id)) {
      throw new BerthError('BERTH_ERR_INSTANCE_STATE', `instance ${instance.id} is ${instance.status}: an upgrade starts from ACTIVE`, 'wait until it is ACTIVE, then upgrade');
    }
    const from = registry.version(instance.datastore, instance.datastoreVersion);
    if (!from) throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `${instance.datastore} ${instance.datastoreVersion} is no longer configured: its build is unknown`, 'configure the version again to upgrade from it');
    const upgrade: UpgradeRecord = {
      from: { version: from.name, sha256: from.manager.sha256 },
      to: { version: target.name, sha256: target.manager.sha256 },
      phase: 'pre-upgrade',
      startedAt: Date.now(),
    };
    // on record before anything changes: a restart from here on knows both builds
    const recorded = this.options.store.instances.update(instance.id, { status: 'UPGRADE', upgrade, fault: null });
    // tracked before the first await: a second request meanwhile is refused
    this.track(instance.id, recorded.then(() => this.run(instance.id, upgrade, from, target)));
    // the answer waits for the record, not for the upgrade
    await recorded;
  }

  /**
   * The provisioner says the instance's guest host cannot start (it refused
   * its config, or exits at every start). Mid-upgrade that is the upgrade's
   * to handle (a rollback), not an ERROR: answers whether it was.
   */
  hostFailed(instanceId: string, reason: string): boolean {
    if (!this.running.has(instanceId)) return false;
    this.hostWaits.get(instanceId)?.(reason);
    return true;
  }

  private track(instanceId: string, run: Promise<void>): void {
    const settled = run.catch(() => undefined).finally(() => this.running.delete(instanceId));
    this.running.set(instanceId, settled);
  }

  private async run(id: string, upgrade: UpgradeRecord, from: DatastoreVersion, to: DatastoreVersion): Promise<void> {
    let saved: KeyValue[];
    try {
      saved = await this.preUpgrade(id, from);
    } catch (error) {
      if (stopping(error)) return;
      return this.end(id, 'ACTIVE', from.name, fault('BERTH_ERR_UPGRADE_FAILED', `pre-upgrade on ${from.name} failed, nothing was changed: ${messageOf(error)}`));
    }
    let failure: string | undefined;
    try {
      if (!(await this.phase(id, upgrade, 'swapping'))) return;
      await this.swapTo(id, to);
      await this.phase(id, upgrade, 'post-upgrade');
      await this.postUpgrade(id, to, saved);
    } catch (error) {
      if (stopping(error)) return;
      failure = messageOf(error);
    }
    if (failure === undefined) return this.end(id, 'ACTIVE', to.name, null);
    await this.rollBack(id, upgrade, from, `upgrade to ${to.name} failed: ${failure}`, 'BERTH_ERR_UPGRADE_FAILED');
  }

  private async rollBack(id: string, upgrade: UpgradeRecord, from: DatastoreVersion, why: string, code: ErrorCode): Promise<void> {
    if (!(await this.phase(id, upgrade, 'rolling-back'))) return;
    try {
      await this.swapTo(id, from);
      await this.end(id, 'ACTIVE', from.name, fault(code, `${why}; rolled back to ${from.name}`));
    } catch (error) {
      if (stopping(error)) return;
      await this.end(id, 'ERROR', from.name, fault(code, `${why}; the rollback to ${from.name} failed too: ${messageOf(error)}`));
    }
  }

  private async preUpgrade(id: string, from: DatastoreVersion): Promise<KeyValue[]> {
    if (!this.options.manifests.of(from).operations.includes('pre-upgrade')) return [];
    const outcome = await this.options.runner.run(id, 'pre-upgrade', [], this.options.slowCallMs);
    if ('err' in outcome) {
      if (isUnsupported(outcome.err)) return [];
      throw managerErrorToBerth(outcome.err, 'pre-upgrade');
    }
    return (outcome.ok as KeyValue[] | undefined) ?? [];
  }

  private async postUpgrade(id: string, to: DatastoreVersion, saved: KeyValue[]): Promise<void> {
    if (!this.options.manifests.of(to).operations.includes('post-upgrade')) return;
    const outcome = await this.options.runner.run(id, 'post-upgrade', [saved], this.options.slowCallMs);
    if ('err' in outcome && !isUnsupported(outcome.err)) throw managerErrorToBerth(outcome.err, 'post-upgrade');
  }

  /** The guest host restarted on this version's build, and connected with it. */
  private async swapTo(id: string, version: DatastoreVersion): Promise<void> {
    const instance = await this.options.store.instances.getById(id);
    if (!instance || instance.status === 'DELETED') throw new BerthError('BERTH_ERR_INSTANCE_NOT_FOUND', `instance ${id} was deleted mid-upgrade`);
    const seconds = version.server.usage_timeout;
    let refused: (reason: string) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => {
      refused = (reason) => reject(new BerthError('BERTH_ERR_UPGRADE_FAILED', `the guest host did not start on ${version.name}: ${reason}`));
    });
    failed.catch(() => undefined);
    this.hostWaits.set(id, refused);
    try {
      await this.options.provisioner.swapManager!(instance, version.manager);
      const up = await Promise.race([this.options.waitForManager(id, version.manager.sha256, Date.now() + seconds * 1000), failed]);
      if (!up) throw new BerthError('BERTH_ERR_RPC_TIMEOUT', `the guest host did not come up on ${version.name} (sha256 ${version.manager.sha256}) within its usage_timeout of ${seconds} s`);
    } finally {
      if (this.hostWaits.get(id) === refused) this.hostWaits.delete(id);
    }
  }

  /** The next phase on record; false when the instance is gone (deleted mid-upgrade). */
  private async phase(id: string, upgrade: UpgradeRecord, phase: UpgradeRecord['phase']): Promise<boolean> {
    const current = await this.options.store.instances.getById(id);
    if (!current || current.status === 'DELETED') return false;
    upgrade.phase = phase;
    await this.options.store.instances.update(id, { upgrade });
    return true;
  }

  private async end(id: string, status: InstanceStatus, version: string, faultText: string | null): Promise<void> {
    const current = await this.options.store.instances.getById(id);
    if (!current || current.status === 'DELETED') return;
    await this.options.store.instances.update(id, { status, datastoreVersion: version, upgrade: null, fault: faultText });
  }

  /**
   * After a server restart, before unfinished tasks are resumed: every
   * instance still in UPGRADE. A post-upgrade that had succeeded completes
   * the upgrade; otherwise its unfinished pre-upgrade or post-upgrade task is
   * dropped (never re-sent to whichever build now runs) and the guest host is
   * restarted on the old build: ACTIVE on the old version, the fault saying so.
   */
  async recover(): Promise<void> {
    const { store, registry } = this.options;
    for (const instance of await store.instances.listByStatus(['UPGRADE'])) {
      const upgrade = instance.upgrade;
      const from = upgrade && registry.version(instance.datastore, upgrade.from.version);
      if (!upgrade || !from) {
        await this.end(instance.id, 'ERROR', instance.datastoreVersion, fault('BERTH_ERR_UPGRADE_INTERRUPTED', `the server restarted mid-upgrade and the version to roll back to (${upgrade?.from.version ?? 'unknown'}) is no longer configured`));
        continue;
      }
      const tasks = (await store.tasks.listForInstance(instance.id)).filter((t) => t.createdAt.getTime() >= upgrade.startedAt && (t.operation === 'pre-upgrade' || t.operation === 'post-upgrade'));
      const restored = tasks.some((t) => t.operation === 'post-upgrade' && t.state === 'succeeded' && !failedOutcome(t.outcome));
      for (const task of tasks.filter((t) => t.state === 'pending' || t.state === 'running')) {
        await store.tasks.update(task.id, 'failed', encodeWire({ error: 'interrupted by a server restart mid-upgrade; the upgrade was rolled back' }));
      }
      if (restored && upgrade.phase === 'post-upgrade') {
        await this.end(instance.id, 'ACTIVE', upgrade.to.version, null);
        continue;
      }
      const why = `the server restarted during the upgrade to ${upgrade.to.version} (phase ${upgrade.phase})`;
      this.track(instance.id, this.rollBack(instance.id, upgrade, from, why, 'BERTH_ERR_UPGRADE_INTERRUPTED'));
    }
  }
}

/** Whether a task's recorded outcome is a manager-error other than unsupported. */
function failedOutcome(outcome: string | null): boolean {
  if (outcome === null) return true;
  try {
    const parsed = JSON.parse(outcome) as { err?: unknown; error?: unknown };
    if (parsed.error !== undefined) return true;
    return parsed.err !== undefined && !isUnsupported(parsed.err);
  } catch {
    return true;
  }
}
