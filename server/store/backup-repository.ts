import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { BackupsTable, Database } from './schema.js';
import type { BackupRecord, BackupState, Store } from './store.js';

/** The secrets column: guest option name -> value. */
const recordedSecrets = z.record(z.string(), z.string());

/** States whose record keeps no secrets: nothing can be restored from them. */
const SECRETLESS: readonly BackupState[] = ['FAILED', 'DELETED'];

function toBackup(row: Selectable<BackupsTable>): BackupRecord {
  // the secrets column stays here: a BackupRecord (and so every view of it) never carries it
  return {
    id: row.id,
    project: row.project,
    instanceId: row.instance_id,
    name: row.name,
    description: row.description,
    state: row.state as BackupState,
    datastore: row.datastore,
    datastoreVersion: row.datastore_version,
    size: row.size === null ? null : Number(row.size),
    checksum: row.checksum,
    location: row.location,
    format: row.format,
    metadata: row.metadata,
    parentId: row.parent_id,
    fault: row.fault,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
  };
}

/** Backups over an open, migrated Kysely; each method is one statement. */
export function backupRepository(db: Kysely<Database>): Store['backups'] {
  return {
    async create(backup) {
      const now = Date.now();
      const secrets = backup.secrets && Object.keys(backup.secrets).length > 0 ? JSON.stringify(backup.secrets) : null;
      const row = await db
        .insertInto('backups')
        .values({ id: backup.id, project: backup.project, instance_id: backup.instanceId, name: backup.name, description: backup.description, state: 'NEW', datastore: backup.datastore, datastore_version: backup.datastoreVersion, size: null, checksum: null, location: null, format: null, metadata: null, parent_id: backup.parentId, fault: null, secrets, created_at: now, updated_at: now })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toBackup(row);
    },
    async get(project, id) {
      const row = await db.selectFrom('backups').selectAll().where('project', '=', project).where('id', '=', id).executeTakeFirst();
      return row && toBackup(row);
    },
    async list(project, instanceId) {
      let query = db.selectFrom('backups').selectAll().where('project', '=', project);
      if (instanceId !== undefined) query = query.where('instance_id', '=', instanceId);
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
      return rows.map(toBackup);
    },
    async update(id, patch) {
      // a FAILED or DELETED backup lets go of the secrets recorded with it
      const secrets = patch.state !== undefined && SECRETLESS.includes(patch.state) ? null : undefined;
      const row = await db
        .updateTable('backups')
        .set({ state: patch.state, size: patch.size, checksum: patch.checksum, location: patch.location, format: patch.format, metadata: patch.metadata, fault: patch.fault, secrets, updated_at: Date.now() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && toBackup(row);
    },
    async secretsOf(id) {
      const row = await db.selectFrom('backups').select(['secrets', 'state']).where('id', '=', id).executeTakeFirst();
      if (!row || row.secrets === null || SECRETLESS.includes(row.state as BackupState)) return {};
      const parsed = recordedSecrets.safeParse(JSON.parse(row.secrets));
      return parsed.success ? parsed.data : {};
    },
  };
}
