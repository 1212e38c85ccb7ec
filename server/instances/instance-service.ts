import { randomBytes, randomUUID } from 'node:crypto';
import type { OperationName } from '../../datastores/sdk/operations.js';
import { laneOf } from '../../host/sandbox/lanes.js';
import { tokenDigest } from '../api/auth.js';
import { BerthError } from '../errors/berth-error.js';
import type { ManifestCatalog } from '../registry/manifests.js';
import { securityGroupRules, type DatastoreRegistry, type DatastoreVersion } from '../registry/registry.js';
import type { Provisioner } from '../provisioning/provisioner.js';
import type { InstanceRecord, Store } from '../store/store.js';
import { guestConfigToml, renderGuestConfig } from './guest-config.js';
import { managerErrorToBerth } from './manager-errors.js';
import type { TaskRunner } from './task-runner.js';

export interface CreateInstance {
  name: string;
  datastore: { type: string; version?: string };
  databases: Array<{ name: string; character_set?: string; collate?: string }>;
  users: Array<{ name: string; password: string; host?: string; databases: Array<{ name: string }> }>;
}

export interface InstanceServiceOptions {
  store: Store;
  registry: DatastoreRegistry;
  manifests: ManifestCatalog;
  provisioner: Provisioner;
  runner: TaskRunner;
  /** How guests reach this server (known once it listens). */
  guestUrl: () => string;
  /** The instance is gone: close its guest's connection. */
  onDeleted?(instance: InstanceRecord): void;
  timeouts: { quickCallMs: number; slowCallMs: number; reportIntervalSeconds: number };
  onError?(instance: InstanceRecord, error: BerthError): void;
}

export interface Created {
  instance: InstanceRecord;
  /** The generated root password when root_on_create: returned once, never stored. */
  rootPassword?: string;
  /** The guest config (with the instance token) for provisioners that hand it out: returned once. */
  guestConfigToml?: string;
}

function password(length: number): string {
  return randomBytes(length).toString('base64url').slice(0, length);
}

/** Instances of a project: create, read, delete, and operations on their guests. */
export class InstanceService {
  constructor(private readonly options: InstanceServiceOptions) {}

  private version(request: CreateInstance['datastore']): DatastoreVersion {
    const version = this.options.registry.version(request.type, request.version);
    if (!version) {
      throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `no datastore ${request.type}${request.version ? ` version ${request.version}` : ''}`, 'GET /v1.0/{project}/datastores lists them');
    }
    if (!version.active) throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `${request.type} ${version.name} is not active`, 'pick an active version');
    return version;
  }

  async create(project: string, request: CreateInstance): Promise<Created> {
    const { store, provisioner, timeouts } = this.options;
    const version = this.version(request.datastore);
    const manifest = this.options.manifests.of(version);
    if (!manifest.operations.includes('prepare') && (request.databases.length > 0 || request.users.length > 0)) {
      throw new BerthError('BERTH_ERR_OPERATION_UNSUPPORTED', `${manifest.name} has no prepare: it cannot create databases or users with the instance`, 'create the instance, then its databases and users');
    }
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
    });
    const passwordLength = typeof version.guest.default_password_length === 'number' ? version.guest.default_password_length : 36;
    const rootPassword = version.server.root_on_create ? password(passwordLength) : undefined;
    const identity = { instanceId: instance.id, token, serverUrl: this.options.guestUrl() };
    const guestConfig = renderGuestConfig(version, identity, await provisioner.placement(instance, version), timeouts.reportIntervalSeconds);
    const toml = guestConfigToml(guestConfig);
    await provisioner.provision(instance, { guestConfig, guestConfigToml: toml }, identity);

    const prepare = {
      memoryMb: 0,
      packages: [],
      databases: request.databases.map((d) => ({ name: d.name, characterSet: d.character_set, collation: d.collate })),
      users: request.users.map((u) => ({ name: u.name, host: u.host, password: u.password, databases: u.databases.map((d) => d.name) })),
      devicePath: undefined,
      mountPoint: typeof guestConfig.options.mount_point === 'string' ? guestConfig.options.mount_point : undefined,
      backup: undefined,
      configContents: undefined,
      rootPassword,
      overrides: [],
    };
    if (!manifest.operations.includes('prepare')) {
      // nothing to prepare: the instance is ACTIVE once its guest reports RUNNING
      return { instance, rootPassword, guestConfigToml: provisioner.kind === 'external' ? toml : undefined };
    }
    // the guest may dial in any time before usage_timeout: prepare waits for it that long
    void this.options.runner
      .run(instance.id, 'prepare', [prepare], version.server.usage_timeout * 1000)
      .then((outcome) => ('err' in outcome ? this.fail(instance, managerErrorToBerth(outcome.err, 'prepare')) : undefined))
      .catch((error: unknown) => this.fail(instance, error instanceof BerthError ? error : new BerthError('BERTH_ERR_INTERNAL', String(error))));
    return { instance, rootPassword, guestConfigToml: provisioner.kind === 'external' ? toml : undefined };
  }

  private async fail(instance: InstanceRecord, error: BerthError): Promise<void> {
    if (error.code === 'BERTH_ERR_SERVER_STOPPING') return;
    const current = await this.options.store.instances.getById(instance.id);
    if (!current || current.status === 'DELETED') return;
    const fault = error.message.startsWith('prepare') ? error.message : `prepare: ${error.message}`;
    const updated = await this.options.store.instances.update(instance.id, { status: 'ERROR', fault });
    if (updated) this.options.onError?.(updated, error);
  }

  async get(project: string, id: string): Promise<InstanceRecord> {
    const instance = await this.options.store.instances.get(project, id);
    if (!instance || instance.status === 'DELETED') throw new BerthError('BERTH_ERR_INSTANCE_NOT_FOUND', `no instance ${id} in project ${project}`);
    return instance;
  }

  list(project: string): Promise<InstanceRecord[]> {
    return this.options.store.instances.list(project);
  }

  async rename(project: string, id: string, name: string): Promise<void> {
    const instance = await this.get(project, id);
    await this.options.store.instances.update(instance.id, { name });
  }

  async delete(project: string, id: string): Promise<void> {
    const instance = await this.get(project, id);
    await this.options.store.instances.update(instance.id, { status: 'DELETED' });
    this.options.onDeleted?.(instance);
    await this.options.provisioner.deprovision(instance);
  }

  /**
   * Run one operation on an instance's guest. An operation its manager does
   * not support is refused here, from the manifest, without asking the guest.
   */
  async call(project: string, id: string, operation: OperationName, args: unknown[]): Promise<unknown> {
    const instance = await this.get(project, id);
    const version = this.options.registry.version(instance.datastore, instance.datastoreVersion);
    if (!version) throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `${instance.datastore} ${instance.datastoreVersion} is no longer configured`);
    const manifest = this.options.manifests.of(version);
    if (!manifest.operations.includes(operation)) {
      throw new BerthError('BERTH_ERR_OPERATION_UNSUPPORTED', `${operation} is not supported by ${manifest.name} ${manifest.version} (datastore ${instance.datastore})`, `${manifest.name} supports: ${manifest.operations.join(', ')}`);
    }
    if (instance.status === 'BUILD') throw new BerthError('BERTH_ERR_INSTANCE_STATE', `instance ${id} is still being built`, 'wait until it is ACTIVE');
    // the same split the host's sandbox uses, so a slow operation never gets a quick deadline here
    const deadline = laneOf(operation) === 'slow' ? this.options.timeouts.slowCallMs : this.options.timeouts.quickCallMs;
    const outcome = await this.options.runner.run(instance.id, operation, args, deadline);
    if ('err' in outcome) throw managerErrorToBerth(outcome.err, operation);
    return outcome.ok;
  }
}
