import type SqliteDatabase from 'better-sqlite3';
import type { SqliteDatabase as KyselySqliteDatabase, SqliteStatement } from 'kysely';

/**
 * better-sqlite3 behind Kysely's SqliteDialect with its prepared statements
 * kept by SQL text. Kysely prepares every query afresh, and SQLite's prepare
 * (parse and plan) was the largest single cost of an API read: Berth's queries
 * are a fixed set of shapes, so each is planned once. Least recently used
 * statements go past `limit`; SQLite re-plans a cached statement by itself
 * when a migration changes the schema under it.
 */
export function withStatementCache(database: SqliteDatabase.Database, limit = 256): KyselySqliteDatabase {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => {
      statements.clear();
      database.close();
    },
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        if (statements.size >= limit) statements.delete(statements.keys().next().value!);
      } else {
        // re-inserted: a Map keeps insertion order, so its first key is the least recently used
        statements.delete(sql);
      }
      statements.set(sql, statement);
      return statement as unknown as SqliteStatement;
    },
  };
}
