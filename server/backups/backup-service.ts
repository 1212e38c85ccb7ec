import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BerthError } from '../errors/berth-error.js';
import type { InstanceService, RestoreSource } from '../instances/instance-service.js';
import { managerErrorToBerth } from '../instances/manager-errors.js';
import type { TaskEnding, TaskRunner } from '../instances/task-runner.js';
import type { BackupRecord, Store, TaskRecord } from '../store/store.js';
import type { BackupStore } from './backup-store.js';

export interface CreateBackup {
  name: string;
  /** The instance to back up. */
  instance: string;
  description?: string;
  /** For an incremental backup: the completed backup of the same instance it builds on. */
  parent_id?: string;
}

export interface BackupServiceOptions {
  store: Store;
  backupStore: BackupStore;
  instances: InstanceService;
  runner: TaskRunner;
}

interface BackupArgument {
  id: string;
}

interface BackupResult {
  format: string;
  metadata: Array<{ key: string; value: string }>;
}

/**
 * Backups of a project's instances. The guest's manager writes the bytes; the
 * host spools and uploads them (see guest artifact routes); this service
 * keeps the record: NEW -> BUILDING -> COMPLETED or FAILED, then DELETED.
 */
export class BackupService {
  constructor(private readonly options: BackupServiceOptions) {
    options.runner.onFinished('create-backup', (task, args, ending) => this.finish(task, args[0] as BackupArgument, ending));
  }

  async create(project: string, request: CreateBackup): Promise<BackupRecord> {
    const { store, instances, runner } = this.options;
    const { instance, deadlineMs } = await instances.operable(project, request.instance, 'create-backup');
    if (instance.status !== 'ACTIVE') {
      throw new BerthError('BERTH_ERR_INSTANCE_STATE', `instance ${instance.id} is ${instance.status}; a backup needs it ACTIVE`, 'wait until the instance is ACTIVE');
    }
    const parent = request.parent_id ? await this.completed(project, request.parent_id) : undefined;
    if (parent && parent.instanceId !== instance.id) {
      throw new BerthError('BERTH_ERR_VALIDATION', `parent_id ${parent.id} is a backup of instance ${parent.instanceId}, not ${instance.id}`, 'an incremental backup builds on a backup of the same instance');
    }
    const backup = await store.backups.create({
      id: randomUUID(),
      project,
      instanceId: instance.id,
      name: request.name,
      description: request.description ?? null,
      datastore: instance.datastore,
      datastoreVersion: instance.datastoreVersion,
      parentId: parent?.id ?? null,
    });
    const building = (await store.backups.update(backup.id, { state: 'BUILDING' })) ?? backup;
    const argument = { id: backup.id, strategy: undefined, parent: parent ? restoreSourceOf(parent) : undefined };
    // the record, not this promise, carries the outcome (the finisher runs for resumed tasks too)
    void runner.run(instance.id, 'create-backup', [argument], deadlineMs).catch(() => undefined);
    return building;
  }

  async get(project: string, id: string): Promise<BackupRecord> {
    const backup = await this.options.store.backups.get(project, id);
    if (!backup || backup.state === 'DELETED') throw new BerthError('BERTH_ERR_BACKUP_NOT_FOUND', `no backup ${id} in project ${project}`, 'GET /v1.0/{project}/backups lists them');
    return backup;
  }

  async list(project: string, instanceId?: string): Promise<BackupRecord[]> {
    return (await this.options.store.backups.list(project, instanceId)).filter((backup) => backup.state !== 'DELETED');
  }

  async delete(project: string, id: string): Promise<void> {
    const backup = await this.get(project, id);
    if (backup.state === 'BUILDING' || backup.state === 'NEW') {
      throw new BerthError('BERTH_ERR_BACKUP_STATE', `backup ${id} is still being taken`, 'delete it once it is COMPLETED or FAILED');
    }
    if (backup.location) await this.options.backupStore.delete(backup.location);
    await this.options.store.backups.update(backup.id, { state: 'DELETED' });
  }

  /** For restorePoint: a completed backup of this project and datastore, as the contract's restore-source. */
  async restoreSource(project: string, backupId: string, datastore: string): Promise<RestoreSource> {
    const backup = await this.completed(project, backupId);
    if (backup.datastore !== datastore) {
      throw new BerthError('BERTH_ERR_VALIDATION', `backup ${backupId} is of datastore ${backup.datastore}, not ${datastore}`, 'restore a backup into an instance of the same datastore');
    }
    return restoreSourceOf(backup);
  }

  /** Guest side: the host uploads the artifact of a backup its instance is taking. */
  async receive(instanceId: string, backupId: string, data: Readable, sha256: string): Promise<void> {
    const backup = await this.ofInstance(instanceId, backupId);
    if (backup.instanceId !== instanceId || backup.state !== 'BUILDING') {
      throw new BerthError('BERTH_ERR_BACKUP_STATE', `backup ${backupId} is not being taken by instance ${instanceId}`);
    }
    const stored = await this.options.backupStore.put(backup.id, data, sha256);
    await this.options.store.backups.update(backup.id, { size: stored.size, checksum: stored.sha256, location: stored.location });
  }

  /** Guest side: the host fetches a completed backup of its own project and datastore, to restore it. */
  async send(instanceId: string, backupId: string): Promise<{ stream: Readable; size: number }> {
    const backup = await this.ofInstance(instanceId, backupId);
    const instance = await this.options.store.instances.getById(instanceId);
    if (backup.state !== 'COMPLETED' || !backup.location || backup.datastore !== instance?.datastore) {
      throw new BerthError('BERTH_ERR_BACKUP_STATE', `backup ${backupId} is not a completed backup this instance may restore`);
    }
    return { stream: await this.options.backupStore.get(backup.location), size: backup.size ?? 0 };
  }

  private async ofInstance(instanceId: string, backupId: string): Promise<BackupRecord> {
    const instance = await this.options.store.instances.getById(instanceId);
    const backup = instance && (await this.options.store.backups.get(instance.project, backupId));
    if (!backup || backup.state === 'DELETED') throw new BerthError('BERTH_ERR_BACKUP_NOT_FOUND', `no backup ${backupId} for instance ${instanceId}`);
    return backup;
  }

  private async completed(project: string, id: string): Promise<BackupRecord> {
    const backup = await this.get(project, id);
    if (backup.state !== 'COMPLETED') throw new BerthError('BERTH_ERR_BACKUP_STATE', `backup ${id} is ${backup.state}, not COMPLETED`, 'use a completed backup');
    return backup;
  }

  private async finish(task: TaskRecord, argument: BackupArgument, ending: TaskEnding): Promise<void> {
    const { store, backupStore } = this.options;
    const instance = await store.instances.getById(task.instanceId);
    const backup = instance && (await store.backups.get(instance.project, argument.id));
    if (!backup || backup.state !== 'BUILDING') return;
    if ('outcome' in ending && 'ok' in ending.outcome && backup.location && backup.checksum) {
      const result = ending.outcome.ok as BackupResult;
      await store.backups.update(backup.id, { state: 'COMPLETED', format: result.format, metadata: JSON.stringify(result.metadata) });
      return;
    }
    if (backup.location) await backupStore.delete(backup.location);
    const why =
      'error' in ending ? ending.error.message : 'err' in ending.outcome ? managerErrorToBerth(ending.outcome.err, 'create-backup').message : 'the guest finished without uploading the backup';
    await store.backups.update(backup.id, { state: 'FAILED', location: null, size: null, checksum: null, fault: why });
  }
}

function restoreSourceOf(backup: BackupRecord): RestoreSource {
  return {
    id: backup.id,
    format: backup.format ?? '',
    metadata: backup.metadata ? (JSON.parse(backup.metadata) as RestoreSource['metadata']) : [],
    size: BigInt(backup.size ?? 0),
    checksum: backup.checksum ?? '',
  };
}
