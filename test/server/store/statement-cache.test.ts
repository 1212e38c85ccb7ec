import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, type Generated } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { withStatementCache } from '../../../server/store/statement-cache.js';

/** A real in-memory database whose prepare() calls are counted. */
function countingDatabase() {
  const database = new SqliteDatabase(':memory:');
  const prepared: string[] = [];
  const prepare = database.prepare.bind(database);
  database.prepare = ((sql: string) => {
    prepared.push(sql);
    return prepare(sql);
  }) as typeof database.prepare;
  return { database, prepared };
}

describe('withStatementCache', () => {
  const open: SqliteDatabase.Database[] = [];
  afterEach(() => {
    for (const database of open.splice(0)) if (database.open) database.close();
  });

  it('prepares each SQL text once and runs the cached statement with new parameters', () => {
    const { database, prepared } = countingDatabase();
    open.push(database);
    const cached = withStatementCache(database);
    cached.prepare('create table t (id integer primary key, name text)').run([]);
    for (let i = 0; i < 5; i++) cached.prepare('insert into t (name) values (?)').run([`n${i}`]);
    const rows = cached.prepare('select name from t where id > ? order by id').all([3]);
    expect(rows).toEqual([{ name: 'n3' }, { name: 'n4' }]);
    expect(prepared.filter((sql) => sql.startsWith('insert'))).toHaveLength(1);
  });

  it('evicts the least recently used statement past its limit', () => {
    const { database, prepared } = countingDatabase();
    open.push(database);
    const cached = withStatementCache(database, 2);
    cached.prepare('select 1').all([]);
    cached.prepare('select 2').all([]);
    cached.prepare('select 1').all([]); // now 'select 2' is the least recently used
    cached.prepare('select 3').all([]); // evicts 'select 2'
    cached.prepare('select 1').all([]);
    cached.prepare('select 2').all([]);
    expect(prepared).toEqual(['select 1', 'select 2', 'select 3', 'select 2']);
  });

  it('sees a schema change made after a statement was cached', () => {
    const { database } = countingDatabase();
    open.push(database);
    const cached = withStatementCache(database);
    cached.prepare('create table t (a integer)').run([]);
    cached.prepare('insert into t (a) values (1)').run([]);
    expect(cached.prepare('select * from t').all([])).toEqual([{ a: 1 }]);
    cached.prepare('alter table t add column b text default \'x\'').run([]);
    expect(cached.prepare('select * from t').all([])).toEqual([{ a: 1, b: 'x' }]);
  });

  it('serves Kysely queries and closes the database with the dialect', async () => {
    const { database, prepared } = countingDatabase();
    const db = new Kysely<{ t: { id: Generated<number>; name: string } }>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
    await db.schema.createTable('t').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'text').execute();
    for (let i = 0; i < 10; i++) await db.insertInto('t').values({ name: `n${i}` }).execute();
    for (let i = 0; i < 10; i++) expect(await db.selectFrom('t').select('name').where('id', '=', i + 1).executeTakeFirst()).toEqual({ name: `n${i}` });
    expect(prepared.filter((sql) => sql.startsWith('select'))).toHaveLength(1);
    await db.destroy();
    expect(database.open).toBe(false);
  });
});
