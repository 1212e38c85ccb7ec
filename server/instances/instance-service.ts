import type { FlavorCatalog } from '../flavors/flavor-catalog.js';
import { randomBytes, randomUUID } from 'node:crypto';
import type { OperationName } from '../../datastores/sdk/operations.js';
import { laneOf } from '../../host/sandbox/lanes.js';
import { tokenDigest } from '../api/auth.js';
import type { ConfigOverride } from '../configurations/overrides.js';
import { BerthError } from '../../datastores/errors/berth-error.js';
import type { ManifestCatalog } from '../registry/manifests.js';
import { securityGroupRules, type DatastoreRegistry, type DatastoreVersion } from '../registry/registry.js';
import type { Provisioner } from '../provisioning/provisioner.js';
import type { InstanceRecord, Store } from '../store/store.js';
import { guestConfigToml, renderGuestConfig } from './guest-config.js';
import { managerErrorToBerth, operationFault } from './manager-errors.js';
import { InstanceUpgrades } from './instance-upgrade.js';
import type { TaskRunner } from './task-runner.js';
import type { CreateInstance, Created, RestoreSource } from './instance-types.js';
import { refuseResize, type ResizeChange } from './instance-resize.js';
import { ReplicaLinks, type SnapshotArtifacts } from './replica-links.js';
import { claims, Replication } from './replication.js';
import { planReplicas } from './replica-plan.js';

export type { CreateInstance, Created, RestoreSource } from './instance-types.js';

export interface InstanceServiceOptions {
  store: Store;
  registry: DatastoreRegistry;
  manifests: ManifestCatalog;
  provisioner: Provisioner;
  runner: TaskRunner;
  /** The sizes instances are created with; the flavor's RAM is prepare's memory-mb. */
  flavors: FlavorCatalog;
  /** How guests reach this server (known once it listens). */
  guestUrl: () => string;
  /** The instance is gone: close its guest's connection. */
  onDeleted?(instance: InstanceRecord): void;
  timeouts: { quickCallMs: number; slowCallMs: number; reportIntervalSeconds: number };
  /** A completed backup of this project and datastore, for restorePoint (the backup service's). */
  restoreSource?(project: string, backupId: string, datastore: string): Promise<RestoreSource>;
  /** The source instance's secrets recorded with that backup, which an instance restored from it keeps (the backup service's). */
  restoreSecrets?(backupId: string): Promise<Record<string, string>>;
  /** A configuration group of this project and datastore version, as prepare's overrides (the configuration service's). */
  configurationOverrides?(project: string, configurationId: string, version: DatastoreVersion): Promise<ConfigOverride[]>;
  onError?(instance: InstanceRecord, error: BerthError): void;
  /** A restart is about to be sent (the status monitor shows REBOOT until the restart task ends). */
  onRestarting?(instanceId: string): Promise<void>;
  /** Where replication snapshots go through the backup store (the backup service's). */
  replicationSnapshots?: SnapshotArtifacts;
  /** A replica is attached to its source: BUILD may end (the status monitor's). */
  onReplicaAttached?(instanceId: string): Promise<void>;
  /** Trove's agent_heartbeat_expiry: a source heard from more recently is not ejected. */
  heartbeatExpiryMs?: number;
  /** Resolves true once the instance's guest is connected running this manager build (the hub's), false at untilMs; without it upgrades are refused. */
  waitForManager?(instanceId: string, sha256: string, untilMs: number): Promise<boolean>;
}

function password(length: number): string {
  return randomBytes(length).toString('base64url').slice(0, length);
}

/** Instances of a project: create, read, delete, and operations on their guests. */
export class InstanceService {
  /** Trove's upgrade (instance-upgrade.ts). */
  readonly upgrades: InstanceUpgrades;
  /** Seeding replicas and pointing them at sources (replica-links.ts). */
  readonly replicaLinks: ReplicaLinks;
  /** Trove's detach, promote_to_replica_source and eject_replica_source (replication.ts). */
  readonly replication: Replication;

  constructor(private readonly options: InstanceServiceOptions) {
    const { store, registry, manifests, provisioner, runner } = options;
    this.replicaLinks = new ReplicaLinks({ store, runner, timeouts: options.timeouts, snapshots: options.replicationSnapshots, onAttached: options.onReplicaAttached });
    this.replication = new Replication({
      store, links: this.replicaLinks, get: (project, id) => this.get(project, id), claims: (instance, operation) => claims(registry, manifests, instance, operation),
      heartbeatExpiryMs: options.heartbeatExpiryMs ?? 60_000, catchUpSeconds: Math.max(1, Math.round(options.timeouts.slowCallMs / 2000)),
    });
    const waitForManager = options.waitForManager ?? (() => Promise.resolve(false));
    this.upgrades = new InstanceUpgrades({ store, registry, manifests, provisioner, runner, waitForManager, slowCallMs: options.timeouts.slowCallMs });
  }

  private version(request: CreateInstance['datastore']): DatastoreVersion {
    if (!request) throw new BerthError('BERTH_ERR_VALIDATION', 'datastore: required unless replica_of names the source', 'give datastore.type');
    const version = this.options.registry.version(request.type, request.version);
    if (!version) {
      throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `no datastore ${request.type}${request.version ? ` version ${request.version}` : ''}`, 'GET /v1.0/{project}/datastores lists them');
    }
    if (!version.active) throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `${request.type} ${version.name} is not active`, 'pick an active version');
    return version;
  }

  async create(project: string, request: CreateInstance): Promise<Created> {
    if (request.replicaOf === undefined) return this.createOne(project, request, this.version(request.datastore));
    const { registry, manifests, provisioner } = this.options;
    const backupRequired = async (of: string, id: string) => (await this.call(of, id, 'backup-required-for-replication', [])) === true;
    const plan = await planReplicas({ registry, manifests, provisioner, get: (of, id) => this.get(of, id), backupRequired }, project, { ...request, replicaOf: request.replicaOf });
    let first: Created | undefined;
    // Trove answers with the first of the replicas; each is seeded once its prepare succeeded (replica-links.ts)
    for (const name of plan.names) {
      const created = await this.createOne(project, { ...request, name }, plan.version, { replicaOf: plan.source.id, secrets: plan.secrets });
      first ??= created;
    }
    return first!;
  }

  private async createOne(project: string, request: CreateInstance, version: DatastoreVersion, replica?: { replicaOf: string; secrets?: Record<string, string> }): Promise<Created> {
    const { store, provisioner, timeouts } = this.options;
    const flavor = this.options.flavors.resolve(request.flavorRef);
    const manifest = this.options.manifests.of(version);
    if (!manifest.operations.includes('prepare') && (request.databases.length > 0 || request.users.length > 0)) {
      throw new BerthError('BERTH_ERR_OPERATION_UNSUPPORTED', `${manifest.name} has no prepare: it cannot create databases or users with the instance`, 'create the instance, then its databases and users');
    }
    let backup: RestoreSource | undefined;
    if (request.restorePoint) {
      if (!manifest.operations.includes('restore-backup') || !this.options.restoreSource) {
        throw new BerthError('BERTH_ERR_OPERATION_UNSUPPORTED', `${manifest.name} cannot restore backups (datastore ${version.datastore})`, 'create the instance without restorePoint');
      }
      backup = await this.options.restoreSource(project, request.restorePoint.backupRef, version.datastore);
    }
    // credentials inside the restored data were made with the source's secrets: the new instance keeps them
    // a replica seeded from a snapshot carries its source's accounts, made with the source's secrets, the same way
    const secrets = backup && this.options.restoreSecrets ? await this.options.restoreSecrets(backup.id) : replica?.secrets;
    const overrides = request.configuration ? await this.configurationOverrides(project, request.configuration, version) : [];
    const token = randomBytes(32).toString('base64url');
    const instance = await store.instances.create({
      id: randomUUID(),
      project,
      name: request.name,
      datastore: version.datastore,
      datastoreVersion: version.name,
      status: 'BUILD',
      tokenSha256: tokenDigest(token),
      securityRules: securityGroupRules(version),
      buildDeadline: new Date(Date.now() + version.server.usage_timeout * 1000),
      configurationId: request.configuration ?? null,
      flavorId: flavor.id,
      volumeSize: request.volume?.size ?? null,
      replicaOf: replica?.replicaOf ?? null,
      autoFailover: request.autoFailover ?? null,
    });
    const passwordLength = typeof version.guest.default_password_length === 'number' ? version.guest.default_password_length : 36;
    // a replica's accounts are its source's
    const rootPassword = version.server.root_on_create && !replica ? password(passwordLength) : undefined;
    const identity = { instanceId: instance.id, token, serverUrl: this.options.guestUrl() };
    const placement = await provisioner.placement(instance, version, { secrets });
    const guestConfig = renderGuestConfig(version, identity, placement, timeouts.reportIntervalSeconds);
    const placed = placement.endpoint ? ((await store.instances.update(instance.id, { endpoint: placement.endpoint })) ?? instance) : instance;
    const toml = guestConfigToml(guestConfig);
    await provisioner.provision(instance, { guestConfig, guestConfigToml: toml }, identity);

    const prepare = {
      memoryMb: flavor.ram,
      packages: [],
      databases: request.databases.map((d) => ({ name: d.name, characterSet: d.character_set, collation: d.collate })),
      users: request.users.map((u) => ({ name: u.name, host: u.host, password: u.password, databases: u.databases.map((d) => d.name) })),
      devicePath: undefined,
      mountPoint: typeof guestConfig.options.mount_point === 'string' ? guestConfig.options.mount_point : undefined,
      backup,
      configContents: undefined,
      rootPassword,
      overrides,
    };
    if (!manifest.operations.includes('prepare')) {
      // nothing to prepare: the instance is ACTIVE once its guest reports RUNNING
      return { instance: placed, rootPassword, guestConfigToml: provisioner.kind === 'external' ? toml : undefined };
    }
    // the guest may dial in any time before usage_timeout: prepare waits for it that long
    void this.options.runner
      .run(instance.id, 'prepare', [prepare], version.server.usage_timeout * 1000)
      .then((outcome) => ('err' in outcome ? this.fail(instance, managerErrorToBerth(outcome.err, 'prepare')) : undefined))
      .catch((error: unknown) => this.fail(instance, error instanceof BerthError ? error : new BerthError('BERTH_ERR_INTERNAL', String(error))));
    return { instance: placed, rootPassword, guestConfigToml: provisioner.kind === 'external' ? toml : undefined };
  }

  /** The group's values for prepare; refused unless the manager can take them now and change them later. */
  private async configurationOverrides(project: string, configurationId: string, version: DatastoreVersion): Promise<ConfigOverride[]> {
    const manifest = this.options.manifests.of(version);
    const missing = (['prepare', 'update-overrides', 'apply-overrides'] as const).filter((operation) => !manifest.operations.includes(operation));
    if (missing.length > 0 || !this.options.configurationOverrides) {
      throw new BerthError('BERTH_ERR_OPERATION_UNSUPPORTED', `${manifest.name} cannot take a configuration group (datastore ${version.datastore}${missing.length > 0 ? `: no ${missing.join(', ')}` : ''})`, 'create the instance without configuration');
    }
    return this.options.configurationOverrides(project, configurationId, version);
  }

  private async fail(instance: InstanceRecord, error: BerthError): Promise<void> {
    if (error.code === 'BERTH_ERR_SERVER_STOPPING') return;
    const current = await this.options.store.instances.getById(instance.id);
    if (!current || current.status === 'DELETED') return;
    const fault = operationFault('prepare', error.message);
    const updated = await this.options.store.instances.update(instance.id, { status: 'ERROR', fault });
    if (updated) this.options.onError?.(updated, error);
  }

  /** The instance's provisioner-generated secrets, for the backups taken of it ({} when there are none). */
  async secretsOf(instance: InstanceRecord): Promise<Record<string, string>> {
    const version = this.options.registry.version(instance.datastore, instance.datastoreVersion);
    const { provisioner } = this.options;
    return version && provisioner.secretsOf ? provisioner.secretsOf(instance, version) : {};
  }

  async get(project: string, id: string): Promise<InstanceRecord> {
    const instance = await this.options.store.instances.get(project, id);
    if (!instance || instance.status === 'DELETED') throw new BerthError('BERTH_ERR_INSTANCE_NOT_FOUND', `no instance ${id} in project ${project}`);
    return instance;
  }

  /** The instances that replicate from this one (Trove's replicas), oldest first. */
  replicasOf(instance: InstanceRecord): Promise<InstanceRecord[]> {
    return this.options.store.instances.listReplicas(instance.id);
  }

  list(project: string): Promise<InstanceRecord[]> {
    return this.options.store.instances.list(project);
  }

  /** Whether the instance is failed over automatically as a source: its own setting, else its version's auto_failover. */
  autoFailover(instance: InstanceRecord): boolean {
    return instance.autoFailover ?? this.options.registry.version(instance.datastore, instance.datastoreVersion)?.server.auto_failover === true;
  }

  /** Berth's PATCH berth_auto_failover: true or false for this instance, null for its version's option. */
  async setAutoFailover(project: string, id: string, value: boolean | null): Promise<void> {
    const instance = await this.get(project, id);
    await this.options.store.instances.update(instance.id, { autoFailover: value });
  }

  async rename(project: string, id: string, name: string): Promise<void> {
    const instance = await this.get(project, id);
    await this.options.store.instances.update(instance.id, { name });
  }

  /** Trove's upgrade (PATCH datastore_version): accepted once on record, run after the answer. */
  async upgrade(project: string, id: string, datastoreVersion: string): Promise<void> {
    await this.upgrades.start(await this.get(project, id), datastoreVersion);
  }

  async delete(project: string, id: string): Promise<void> {
    const instance = await this.get(project, id);
    await this.replication.refuseDeleteOfSource(instance);
    // a deleted instance lets go of its configuration group, which may then be deleted
    await this.options.store.instances.update(instance.id, { status: 'DELETED', configurationId: null });
    this.options.onDeleted?.(instance);
    await this.options.provisioner.deprovision(instance);
  }

  /**
   * The instance, if this operation may run on it now, and the deadline it
   * gets. An operation its manager does not support is refused here, from
   * the manifest, without asking the guest.
   */
  async operable(project: string, id: string, operation: OperationName): Promise<{ instance: InstanceRecord; deadlineMs: number }> {
    const instance = await this.get(project, id);
    const version = this.options.registry.version(instance.datastore, instance.datastoreVersion);
    if (!version) throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `${instance.datastore} ${instance.datastoreVersion} is no longer configured`);
    const manifest = this.options.manifests.of(version);
    if (!manifest.operations.includes(operation)) {
      throw new BerthError('BERTH_ERR_OPERATION_UNSUPPORTED', `${operation} is not supported by ${manifest.name} ${manifest.version} (datastore ${instance.datastore})`, `${manifest.name} supports: ${manifest.operations.join(', ')}`);
    }
    if (instance.status === 'BUILD') throw new BerthError('BERTH_ERR_INSTANCE_STATE', `instance ${id} is still being built`, 'wait until it is ACTIVE');
    if (instance.status === 'UPGRADE') throw new BerthError('BERTH_ERR_INSTANCE_STATE', `instance ${id} is being upgraded to ${instance.upgrade?.to.version ?? 'another version'}`, 'wait until it is ACTIVE');
    // the same split the host's sandbox uses, so a slow operation never gets a quick deadline here
    const deadlineMs = laneOf(operation) === 'slow' ? this.options.timeouts.slowCallMs : this.options.timeouts.quickCallMs;
    return { instance, deadlineMs };
  }

  /** Trove's restart: REBOOT while the guest restarts its datastore; how the restart task ended decides what follows. */
  async restart(project: string, id: string): Promise<void> {
    const { instance, deadlineMs } = await this.operable(project, id, 'restart');
    await this.options.onRestarting?.(instance.id);
    const outcome = await this.options.runner.run(instance.id, 'restart', [], deadlineMs);
    if ('err' in outcome) throw managerErrorToBerth(outcome.err, 'restart');
  }

  /** Trove's volume.used, in GB, when the provisioner can measure the volume. */
  async volumeUsedGb(instance: InstanceRecord): Promise<number | undefined> {
    const bytes = await this.options.provisioner.volumeUsedBytes?.(instance).catch(() => undefined);
    return bytes === undefined ? undefined : Math.round((bytes / 1024 ** 3) * 100) / 100;
  }

  /** Trove's resize: refused before anything changes, saying why (instance-resize.ts). */
  async resize(project: string, id: string, change: ResizeChange): Promise<never> {
    refuseResize(await this.get(project, id), change, this.options.flavors, this.options.provisioner);
  }

  async call(project: string, id: string, operation: OperationName, args: unknown[]): Promise<unknown> {
    const { instance, deadlineMs } = await this.operable(project, id, operation);
    const outcome = await this.options.runner.run(instance.id, operation, args, deadlineMs);
    if ('err' in outcome) throw managerErrorToBerth(outcome.err, operation);
    return outcome.ok;
  }
}
