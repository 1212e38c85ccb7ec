import type { Kysely, Selectable } from 'kysely';
import type { ConfigurationsTable, Database } from './schema.js';
import type { ConfigurationRecord, ConfigurationValue, Store } from './store.js';

function toConfiguration(row: Selectable<ConfigurationsTable>): ConfigurationRecord {
  return {
    id: row.id,
    project: row.project,
    name: row.name,
    description: row.description,
    datastore: row.datastore,
    datastoreVersion: row.datastore_version,
    values: JSON.parse(row.values) as Record<string, ConfigurationValue>,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
  };
}

/** Configuration groups over an open, migrated Kysely; each method is one statement. */
export function configurationRepository(db: Kysely<Database>): Store['configurations'] {
  return {
    async create(configuration) {
      const now = Date.now();
      const row = await db
        .insertInto('configurations')
        .values({
          id: configuration.id,
          project: configuration.project,
          name: configuration.name,
          description: configuration.description,
          datastore: configuration.datastore,
          datastore_version: configuration.datastoreVersion,
          values: JSON.stringify(configuration.values),
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toConfiguration(row);
    },
    async get(project, id) {
      const row = await db.selectFrom('configurations').selectAll().where('project', '=', project).where('id', '=', id).executeTakeFirst();
      return row && toConfiguration(row);
    },
    async list(project) {
      const rows = await db.selectFrom('configurations').selectAll().where('project', '=', project).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
      return rows.map(toConfiguration);
    },
    async update(id, patch) {
      const row = await db
        .updateTable('configurations')
        .set({ name: patch.name, description: patch.description, values: patch.values === undefined ? undefined : JSON.stringify(patch.values), updated_at: Date.now() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && toConfiguration(row);
    },
    async delete(id) {
      const result = await db.deleteFrom('configurations').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
