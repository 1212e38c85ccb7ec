import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { BerthError } from '../../datastores/errors/berth-error.js';
import type { InstanceService, RestoreSource } from '../instances/instance-service.js';
import { managerErrorToBerth } from '../instances/manager-errors.js';
import type { TaskEnding, TaskRunner } from '../instances/task-runner.js';
import type { BackupRecord, Store, TaskRecord } from '../store/store.js';
import { artifactGranted, type ArtifactDirection } from './artifact-grants.js';
import type { BackupStore } from './backup-store.js';
import { guardedSafeParse } from '../../host/validation/guarded-parse.js';

export interface CreateBackup {
  name: string;
  /** The instance to back up. */
  instance: string;
  description?: string;
  /** For an incremental backup: the completed backup of the same instance it builds on. */
  parent_id?: string;
  /** Trove's incremental: without parent_id, build on the instance's latest completed backup (a full one when there is none). */
  incremental?: boolean;
}

export interface BackupServiceOptions {
  store: Store;
  backupStore: BackupStore;
  instances: InstanceService;
  runner: TaskRunner;
  /** Most bytes a guest may upload into one backup. */
  maxBackupBytes: number;
}

interface BackupArgument {
  id: string;
}

/** The format of a replication snapshot's record (openSnapshot): the server's own, not a user's backup. */
const REPLICATION_SNAPSHOT = 'replication-snapshot';
/** What the backup API lists, shows, restores from and chains: not deleted, not a replication snapshot. */
const usersBackup = (backup: BackupRecord) => backup.state !== 'DELETED' && backup.format !== REPLICATION_SNAPSHOT;

/**
 * What a guest reports about its backup is stored and handed back to restores:
 * the guest's word, so checked and bounded before it is kept.
 */
const backupResult = z.object({
  format: z.string().max(128),
  metadata: z.array(z.object({ key: z.string().max(256), value: z.string().max(4096) })).max(256),
});

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
    const parent = request.parent_id ? await this.completed(project, request.parent_id) : request.incremental ? await this.latestCompleted(project, instance.id) : undefined;
    if (parent && parent.instanceId !== instance.id) {
      throw new BerthError('BERTH_ERR_VALIDATION', `parent_id ${parent.id} is a backup of instance ${parent.instanceId}, not ${instance.id}`, 'an incremental backup builds on a backup of the same instance');
    }
    // kept server-side with the record, never in the artifact or the backup's view: a restore needs them (docs/security.md)
    const secrets = await instances.secretsOf(instance);
    const backup = await store.backups.create({
      id: randomUUID(),
      project,
      instanceId: instance.id,
      name: request.name,
      description: request.description ?? null,
      datastore: instance.datastore,
      datastoreVersion: instance.datastoreVersion,
      parentId: parent?.id ?? null,
      secrets,
    });
    const building = (await store.backups.update(backup.id, { state: 'BUILDING' })) ?? backup;
    const argument = { id: backup.id, strategy: undefined, parent: parent ? restoreSourceOf(parent) : undefined };
    // the record, not this promise, carries the outcome (the finisher runs for resumed tasks too)
    void runner.run(instance.id, 'create-backup', [argument], deadlineMs).catch(() => undefined);
    return building;
  }

  private async latestCompleted(project: string, instanceId: string): Promise<BackupRecord | undefined> {
    const completed = (await this.list(project, instanceId)).filter((backup) => backup.state === 'COMPLETED');
    return completed.reduce<BackupRecord | undefined>((latest, backup) => (!latest || backup.createdAt > latest.createdAt ? backup : latest), undefined);
  }

  async get(project: string, id: string): Promise<BackupRecord> {
    const backup = await this.options.store.backups.get(project, id);
    if (!backup || !usersBackup(backup)) throw new BerthError('BERTH_ERR_BACKUP_NOT_FOUND', `no backup ${id} in project ${project}`, 'GET /v1.0/{project}/backups lists them');
    return backup;
  }

  async list(project: string, instanceId?: string): Promise<BackupRecord[]> {
    return (await this.options.store.backups.list(project, instanceId)).filter(usersBackup);
  }

  async delete(project: string, id: string): Promise<void> {
    const backup = await this.get(project, id);
    if (backup.state === 'BUILDING' || backup.state === 'NEW') {
      throw new BerthError('BERTH_ERR_BACKUP_STATE', `backup ${id} is still being taken`, 'delete it once it is COMPLETED or FAILED');
    }
    if (backup.location) await this.options.backupStore.delete(backup.location);
    await this.options.store.backups.update(backup.id, { state: 'DELETED' });
  }

  /**
   * A replication snapshot's artifact (replica-links.ts): a backup record of
   * the source, BUILDING, that the source's get-replication-snapshot uploads
   * into and the replica's attach-replica downloads, deleted once attached.
   */
  async openSnapshot(source: { id: string; project: string; datastore: string; datastoreVersion: string }): Promise<string> {
    const { store } = this.options;
    const backup = await store.backups.create({
      id: randomUUID(), project: source.project, instanceId: source.id, name: `replication snapshot of ${source.id}`, description: 'taken to seed a replica; deleted once it is attached',
      datastore: source.datastore, datastoreVersion: source.datastoreVersion, parentId: null,
    });
    // marked from the start: never listed, shown, restored from or made a parent, even while BUILDING
    await store.backups.update(backup.id, { state: 'BUILDING', format: REPLICATION_SNAPSHOT });
    return backup.id;
  }

  /** The snapshot's artifact is uploaded: COMPLETED, with its size and sha256. */
  async completeSnapshot(id: string): Promise<{ size: number; sha256: string }> {
    const backup = await this.options.store.backups.update(id, {});
    if (!backup || backup.state !== 'BUILDING' || !backup.location || backup.size === null || !backup.checksum) {
      throw new BerthError('BERTH_ERR_ARTIFACT_TRANSFER', `the replication snapshot ${id} was not uploaded`, 'the source\'s get-replication-snapshot must write its artifact');
    }
    await this.options.store.backups.update(id, { state: 'COMPLETED', format: REPLICATION_SNAPSHOT, metadata: '[]' });
    return { size: backup.size, sha256: backup.checksum };
  }

  /** The snapshot's artifact and record are gone (the replica has it, or seeding failed). */
  async dropSnapshot(id: string): Promise<void> {
    const backup = await this.options.store.backups.update(id, {});
    if (backup?.location) await this.options.backupStore.delete(backup.location);
    await this.options.store.backups.update(id, { state: 'DELETED', location: null });
  }

  /** For restorePoint: a completed backup of this project and datastore, as the contract's restore-source. */
  async restoreSource(project: string, backupId: string, datastore: string): Promise<RestoreSource> {
    const backup = await this.completed(project, backupId);
    if (backup.datastore !== datastore) {
      throw new BerthError('BERTH_ERR_VALIDATION', `backup ${backupId} is of datastore ${backup.datastore}, not ${datastore}`, 'restore a backup into an instance of the same datastore');
    }
    return restoreSourceOf(backup);
  }

  /** For restorePoint, after restoreSource: the source instance's secrets recorded with the backup. */
  restoreSecrets(backupId: string): Promise<Record<string, string>> {
    return this.options.store.backups.secretsOf(backupId);
  }

  /**
   * Guest side: the host uploads the artifact of the backup its instance is
   * taking now, no more than maxBackupBytes of it (`declaredBytes`, the
   * request's content-length, is refused up front when it says more; the
   * stream is counted either way).
   */
  async receive(instanceId: string, backupId: string, data: Readable, sha256: string, declaredBytes?: number): Promise<void> {
    const backup = await this.granted(instanceId, backupId, 'upload');
    if (backup.state !== 'BUILDING') throw notGranted(instanceId, backupId, 'upload');
    const { maxBackupBytes } = this.options;
    if (declaredBytes !== undefined && declaredBytes > maxBackupBytes) throw tooLarge(backupId, declaredBytes, maxBackupBytes);
    const stored = await this.options.backupStore.put(backup.id, data, sha256, maxBackupBytes);
    await this.options.store.backups.update(backup.id, { size: stored.size, checksum: stored.sha256, location: stored.location });
  }

  /** Guest side: the host fetches the backup its instance is restoring now (of its own project and datastore). */
  async send(instanceId: string, backupId: string): Promise<{ stream: Readable; size: number }> {
    const backup = await this.granted(instanceId, backupId, 'download');
    const instance = await this.options.store.instances.getById(instanceId);
    if (backup.state !== 'COMPLETED' || !backup.location || backup.datastore !== instance?.datastore) {
      throw new BerthError('BERTH_ERR_BACKUP_STATE', `backup ${backupId} is not a completed backup this instance may restore`);
    }
    return { stream: await this.options.backupStore.get(backup.location), size: backup.size ?? 0 };
  }

  /** The backup, if an operation in flight on this instance names it for this direction; refused otherwise. */
  private async granted(instanceId: string, backupId: string, direction: ArtifactDirection): Promise<BackupRecord> {
    const backup = await this.ofInstance(instanceId, backupId);
    const own = direction === 'download' || backup.instanceId === instanceId;
    if (!own || !(await artifactGranted(this.options.store, instanceId, backupId, direction))) throw notGranted(instanceId, backupId, direction);
    return backup;
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
    const result = 'outcome' in ending && 'ok' in ending.outcome ? guardedSafeParse(backupResult, ending.outcome.ok) : undefined;
    if (result?.success && backup.location && backup.checksum) {
      await store.backups.update(backup.id, { state: 'COMPLETED', format: result.data.format, metadata: JSON.stringify(result.data.metadata) });
      return;
    }
    if (backup.location) await backupStore.delete(backup.location);
    const why =
      'error' in ending
        ? ending.error.message
        : 'err' in ending.outcome
          ? managerErrorToBerth(ending.outcome.err, 'create-backup').message
          : result && !result.success
            ? `the guest's backup result is not valid (${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ').slice(0, 500)})`
            : 'the guest finished without uploading the backup';
    await store.backups.update(backup.id, { state: 'FAILED', location: null, size: null, checksum: null, fault: why });
  }
}

function notGranted(instanceId: string, backupId: string, direction: ArtifactDirection): BerthError {
  const asked = direction === 'upload' ? 'a create-backup of it' : 'a restore of it';
  return new BerthError('BERTH_ERR_ARTIFACT_NOT_GRANTED', `instance ${instanceId} may not ${direction} backup ${backupId}: no ${asked} is in flight on that instance`, 'a guest moves only the backup of the operation the server asked it to run');
}

function tooLarge(backupId: string, bytes: number, max: number): BerthError {
  return new BerthError('BERTH_ERR_ARTIFACT_TOO_LARGE', `backup ${backupId} is ${bytes} bytes or more; the server takes at most ${max} (backups.max_bytes)`, 'raise backups.max_bytes in the server config, or back up less');
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
