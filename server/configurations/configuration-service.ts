import { randomUUID } from 'node:crypto';
import { BerthError } from '../../datastores/errors/berth-error.js';
import type { InstanceService } from '../instances/instance-service.js';
import type { ManifestCatalog } from '../registry/manifests.js';
import type { DatastoreRegistry, DatastoreVersion } from '../registry/registry.js';
import type { ConfigurationRecord, InstanceRecord, Store } from '../store/store.js';
import { KeyedLock } from './keyed-lock.js';
import { checkConfigurationValues } from './parameter-check.js';
import { changesBetween, isEmpty, toOverrides, type ConfigOverride, type ConfigurationValues, type OverrideChanges } from './overrides.js';

export interface CreateConfiguration {
  name: string;
  description?: string;
  datastore: { type: string; version?: string };
  values: ConfigurationValues;
}

/** PUT: the values replace the group's; PATCH: they are merged into them. */
export interface ChangeConfiguration {
  values: ConfigurationValues;
  name?: string;
  description?: string;
}

export interface ConfigurationServiceOptions {
  store: Store;
  registry: DatastoreRegistry;
  /** The managers' parameter rules, every group's values are checked against. */
  manifests: ManifestCatalog;
  /** Guest calls go through it: the manifest check, the task record, the manager's errors. */
  instances: InstanceService;
}

/**
 * Trove's configuration groups. A group belongs to one project and one
 * datastore version; attached to an instance, its values reach the guest as
 * update-overrides then apply-overrides, and every change to them follows.
 * Work on one group runs one at a time, so what a guest has and what the
 * store says cannot drift apart under concurrent requests.
 */
export class ConfigurationService {
  private readonly lock = new KeyedLock();

  constructor(private readonly options: ConfigurationServiceOptions) {}

  async create(project: string, request: CreateConfiguration): Promise<ConfigurationRecord> {
    const { type, version: versionName } = request.datastore;
    const version = this.options.registry.version(type, versionName);
    if (!version) {
      throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `no datastore ${type}${versionName ? ` version ${versionName}` : ''}`, 'GET /v1.0/{project}/datastores lists them');
    }
    checkConfigurationValues(this.options.manifests, version, request.values);
    return this.options.store.configurations.create({
      id: randomUUID(),
      project,
      name: request.name,
      description: request.description ?? null,
      datastore: version.datastore,
      datastoreVersion: version.name,
      values: request.values,
    });
  }

  async get(project: string, id: string): Promise<ConfigurationRecord> {
    const group = await this.options.store.configurations.get(project, id);
    if (!group) throw new BerthError('BERTH_ERR_CONFIGURATION_NOT_FOUND', `no configuration group ${id} in project ${project}`, 'GET /v1.0/{project}/configurations lists them');
    return group;
  }

  list(project: string): Promise<ConfigurationRecord[]> {
    return this.options.store.configurations.list(project);
  }

  /** Group id -> name, for instance views. */
  async names(project: string): Promise<Map<string, string>> {
    return new Map((await this.list(project)).map((group) => [group.id, group.name]));
  }

  async instancesOf(project: string, id: string): Promise<InstanceRecord[]> {
    const group = await this.get(project, id);
    return this.options.store.instances.listByConfiguration(group.id);
  }

  /** New values for a group, applied to every instance it is attached to first: all of them take them, or none keeps them. */
  change(project: string, id: string, change: ChangeConfiguration, mode: 'replace' | 'merge'): Promise<ConfigurationRecord> {
    return this.lock.run(id, async () => {
      const group = await this.get(project, id);
      const values = mode === 'replace' ? change.values : { ...group.values, ...change.values };
      checkConfigurationValues(this.options.manifests, this.versionOf(group), values);
      const attached = await this.options.store.instances.listByConfiguration(group.id);
      for (const instance of attached) await this.checkOperable(project, instance.id);
      const changes = changesBetween(group.values, values);
      const reached: string[] = [];
      try {
        for (const instance of attached) {
          reached.push(instance.id);
          await this.send(project, instance.id, changes);
        }
      } catch (error) {
        // the guests already changed (and the one that refused, in case it got halfway) go back
        const back = changesBetween(values, group.values);
        for (const instanceId of reached) await this.send(project, instanceId, back, { bestEffort: true });
        throw error;
      }
      const updated = await this.options.store.configurations.update(group.id, { values, name: change.name, description: change.description });
      return updated ?? (await this.get(project, id));
    });
  }

  delete(project: string, id: string): Promise<void> {
    return this.lock.run(id, async () => {
      const group = await this.get(project, id);
      const attached = await this.options.store.instances.listByConfiguration(group.id);
      if (attached.length > 0) throw inUse(group, attached.map((i) => i.id));
      try {
        await this.options.store.configurations.delete(group.id);
      } catch (error) {
        // an instance created with the group since the check above: the store's reference refused it
        if (error instanceof BerthError && error.code === 'BERTH_ERR_STORE_CONFLICT') throw inUse(group, []);
        throw error;
      }
    });
  }

  /** Trove's PUT /instances/{id} with a configuration: record the attachment, then send the values to the guest. */
  attach(project: string, instanceId: string, configurationId: string): Promise<void> {
    return this.lock.run(configurationId, async () => {
      // read under the lock: a change to the group that was under way when this request came has ended
      const group = await this.get(project, configurationId);
      const instance = await this.options.instances.get(project, instanceId);
      if (instance.configurationId !== null && instance.configurationId !== group.id) throw alreadyAttached(instance);
      checkSameDatastore(group, instance.datastore, instance.datastoreVersion);
      // rules may have changed since the group was stored (another manager for the version)
      checkConfigurationValues(this.options.manifests, this.versionOf(group), group.values);
      await this.checkOperable(project, instance.id);
      // attaching the group it has again sends the values again: a way to bring a guest back in line
      if (instance.configurationId === null && !(await this.options.store.instances.swapConfiguration(instance.id, null, group.id))) {
        throw alreadyAttached((await this.options.store.instances.getById(instance.id)) ?? instance);
      }
      const changes = changesBetween({}, group.values);
      try {
        await this.send(project, instance.id, changes);
      } catch (error) {
        if (instance.configurationId === null) {
          await this.send(project, instance.id, changesBetween(group.values, {}), { bestEffort: true });
          await this.options.store.instances.swapConfiguration(instance.id, group.id, null);
        }
        throw error;
      }
    });
  }

  /** Trove's PUT /instances/{id} without a configuration: the group's settings are removed from the guest, then the attachment. */
  async detach(project: string, instanceId: string): Promise<void> {
    const { configurationId } = await this.options.instances.get(project, instanceId);
    if (configurationId === null) return;
    return this.lock.run(configurationId, async () => {
      const instance = await this.options.instances.get(project, instanceId);
      // detached (or swapped) by another request while this one waited
      if (instance.configurationId !== configurationId) return;
      const group = await this.get(project, configurationId);
      await this.checkOperable(project, instance.id);
      await this.send(project, instance.id, changesBetween(group.values, {}));
      await this.options.store.instances.swapConfiguration(instance.id, group.id, null);
    });
  }

  /** For an instance created with a group: its values as prepare's overrides. */
  async overridesFor(project: string, configurationId: string, version: DatastoreVersion): Promise<ConfigOverride[]> {
    const group = await this.get(project, configurationId);
    checkSameDatastore(group, version.datastore, version.name);
    checkConfigurationValues(this.options.manifests, version, group.values);
    return toOverrides(group.values);
  }

  /**
   * Trove's GET /instances/{id}/configuration: the values the instance runs
   * with as far as the server knows them, the attached group's. Settings no
   * group changed are the datastore's defaults, which only the guest knows.
   */
  async effectiveValues(project: string, instanceId: string): Promise<ConfigurationValues> {
    const instance = await this.options.instances.get(project, instanceId);
    if (instance.configurationId === null) return {};
    const group = await this.options.store.configurations.get(project, instance.configurationId);
    return group?.values ?? {};
  }

  /** The group's datastore version, which the registry may no longer have (a config change since). */
  private versionOf(group: ConfigurationRecord): DatastoreVersion {
    const version = this.options.registry.version(group.datastore, group.datastoreVersion);
    if (!version) {
      throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `configuration group ${group.id} is for ${group.datastore} ${group.datastoreVersion}, which this server no longer offers`, 'GET /v1.0/{project}/datastores lists them');
    }
    return version;
  }

  /** Both operations supported by the instance's manager (from its manifest, no round trip) and the instance built. */
  private async checkOperable(project: string, instanceId: string): Promise<void> {
    await this.options.instances.operable(project, instanceId, 'update-overrides');
    await this.options.instances.operable(project, instanceId, 'apply-overrides');
  }

  /**
   * Changes to a guest: new values persisted first (an unknown setting is
   * refused before anything is dropped), then removals, then applied to the
   * running datastore. Best effort (putting things back) tries every step.
   */
  private async send(project: string, instanceId: string, changes: OverrideChanges, { bestEffort = false } = {}): Promise<void> {
    if (isEmpty(changes)) return;
    const { instances } = this.options;
    const steps: Array<() => Promise<unknown>> = [
      ...(changes.set.length > 0 ? [() => instances.call(project, instanceId, 'update-overrides', [changes.set, false])] : []),
      ...(changes.remove.length > 0 ? [() => instances.call(project, instanceId, 'update-overrides', [changes.remove, true])] : []),
      () => instances.call(project, instanceId, 'apply-overrides', [changes.set]),
    ];
    for (const step of steps) {
      if (bestEffort) await step().catch(() => undefined);
      else await step();
    }
  }
}

function checkSameDatastore(group: ConfigurationRecord, datastore: string, version: string): void {
  if (group.datastore !== datastore || group.datastoreVersion !== version) {
    throw new BerthError(
      'BERTH_ERR_VALIDATION',
      `instance.configuration: configuration group ${group.id} is for ${group.datastore} ${group.datastoreVersion}, the instance is ${datastore} ${version}`,
      `use a configuration group of ${datastore} ${version}`,
    );
  }
}

function inUse(group: ConfigurationRecord, instanceIds: readonly string[]): BerthError {
  return new BerthError(
    'BERTH_ERR_CONFIGURATION_IN_USE',
    `configuration group ${group.id} is attached to ${instanceIds.length > 0 ? `instance${instanceIds.length > 1 ? 's' : ''} ${instanceIds.join(', ')}` : 'an instance'}`,
    'detach it first: PUT /v1.0/{project}/instances/{id} with {"instance": {"configuration": null}}',
  );
}

function alreadyAttached(instance: InstanceRecord): BerthError {
  return new BerthError(
    'BERTH_ERR_CONFIGURATION_ATTACHED',
    `instance ${instance.id} has configuration group ${instance.configurationId} attached`,
    'detach it first: PUT /v1.0/{project}/instances/{id} with {"instance": {"configuration": null}}',
  );
}
