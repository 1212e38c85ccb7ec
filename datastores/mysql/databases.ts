import { ManagerError } from '../sdk/index.js';
import type { MyContext } from './options.js';
import { checkCharset, column, ident, page, query, run, type Paging } from './sql.js';

export interface Database {
  name: string;
  characterSet: string | undefined;
  collation: string | undefined;
}

const hidden = (ctx: MyContext) => new Set(ctx.options.ignore_dbs);

export function schemaExists(ctx: MyContext, name: string): boolean {
  return query(ctx, 'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]).rows.length > 0;
}

/** Every schema but the system ones, with its defaults. */
export function userDatabases(ctx: MyContext): Database[] {
  const rows = query(ctx, 'SELECT SCHEMA_NAME AS name, DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation FROM information_schema.SCHEMATA').rows;
  return rows
    .map((row) => ({ name: String(row.name), characterSet: String(row.charset), collation: String(row.collation) }))
    .filter((database) => !hidden(ctx).has(database.name));
}

export function assertNotReserved(ctx: MyContext, name: string, field = 'name'): void {
  if (hidden(ctx).has(name)) throw ManagerError.invalidArgument(field, `${name} is a system database`);
}

/** The character set and collation must be ones this server has, and belong together. */
function encodingClause(ctx: MyContext, characterSet: string | undefined, collation: string | undefined): string {
  let clause = '';
  if (characterSet) {
    checkCharset(characterSet, 'character_set');
    if (column(ctx, 'SELECT CHARACTER_SET_NAME FROM information_schema.CHARACTER_SETS WHERE CHARACTER_SET_NAME = ?', [characterSet]).length === 0) {
      throw ManagerError.invalidArgument('character_set', `${characterSet} is not a character set of this server`);
    }
    clause += ` CHARACTER SET ${characterSet}`;
  }
  if (collation) {
    checkCharset(collation, 'collate');
    const owner = column(ctx, 'SELECT CHARACTER_SET_NAME FROM information_schema.COLLATIONS WHERE COLLATION_NAME = ?', [collation])[0];
    if (owner === undefined) throw ManagerError.invalidArgument('collate', `${collation} is not a collation of this server`);
    if (characterSet && owner.toLowerCase() !== characterSet.toLowerCase()) throw ManagerError.invalidArgument('collate', `${collation} is a collation of ${owner}, not of ${characterSet}`);
    clause += ` COLLATE ${collation}`;
  }
  return clause;
}

export function createDatabases(ctx: MyContext, databases: ReadonlyArray<{ name: string; characterSet?: string; collation?: string }>): void {
  for (const database of databases) {
    assertNotReserved(ctx, database.name);
    const name = ident(database.name);
    const encoding = encodingClause(ctx, database.characterSet, database.collation);
    if (schemaExists(ctx, database.name)) throw ManagerError.alreadyExists(`database ${database.name}`);
    run(`database ${database.name}`, () => query(ctx, `CREATE DATABASE ${name}${encoding}`));
  }
}

export function listDatabases(ctx: MyContext, paging: Paging) {
  return page(userDatabases(ctx), (database) => database.name, paging);
}

export function deleteDatabase(ctx: MyContext, name: string): void {
  assertNotReserved(ctx, name);
  const quoted = ident(name);
  if (!schemaExists(ctx, name)) throw ManagerError.notFound(`database ${name}`);
  run(`database ${name}`, () => query(ctx, `DROP DATABASE ${quoted}`));
}
