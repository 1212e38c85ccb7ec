import type { Kysely, Selectable } from 'kysely';
import type { Database, FailoversTable } from './schema.js';
import type { FailoverRecord, FailoverStep, Store } from './store.js';

function toFailover(row: Selectable<FailoversTable>): FailoverRecord {
  return {
    sourceId: row.source_id,
    step: row.step as FailoverStep,
    newSourceId: row.new_source_id,
    detail: row.detail,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
  };
}

/** Automatic failovers over an open, migrated Kysely; each method is one statement. */
export function failoverRepository(db: Kysely<Database>): Store['failovers'] {
  return {
    async begin(sourceId, step) {
      const now = Date.now();
      // returning: both engines name the row only when it was inserted
      const row = await db
        .insertInto('failovers')
        .values({ source_id: sourceId, step, new_source_id: null, detail: null, created_at: now, updated_at: now })
        .onConflict((conflict) => conflict.column('source_id').doNothing())
        .returning('source_id')
        .executeTakeFirst();
      return row !== undefined;
    },
    async get(sourceId) {
      const row = await db.selectFrom('failovers').selectAll().where('source_id', '=', sourceId).executeTakeFirst();
      return row && toFailover(row);
    },
    async listUnfinished() {
      const rows = await db.selectFrom('failovers').selectAll().where('step', '!=', 'done').orderBy('created_at', 'asc').execute();
      return rows.map(toFailover);
    },
    async update(sourceId, patch) {
      await db
        .updateTable('failovers')
        .set({ step: patch.step, new_source_id: patch.newSourceId, detail: patch.detail, updated_at: Date.now() })
        .where('source_id', '=', sourceId)
        .execute();
    },
    async forget(sourceId) {
      await db.deleteFrom('failovers').where('source_id', '=', sourceId).execute();
    },
  };
}
