import { CapabilityError, ManagerError } from '../sdk/index.js';
import { ROOT_USER, type PgContext } from './options.js';
import { ident, literal, query } from './sql.js';

type Paging = { limit?: number; marker?: string; includeMarker: boolean };

/** SQLSTATEs that are the caller's business, as the contract's errors. */
function asManagerError(error: unknown, what: string): unknown {
  if (!(error instanceof CapabilityError)) return error;
  switch (error.code) {
    case '42P04': // duplicate_database
    case '42710': // duplicate_object (role)
      return ManagerError.alreadyExists(what);
    case '3D000': // invalid_catalog_name
    case '42704': // undefined_object
      return ManagerError.notFound(what);
    default:
      return error.value.tag === 'database' ? ManagerError.failed(`${what}: ${error.message}`) : ManagerError.unavailable(`${what}: ${error.message}`);
  }
}

function run<T>(what: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    throw asManagerError(error, what);
  }
}

function page<T extends { name: string }>(items: T[], paging: Paging): { items: T[]; nextMarker: string | undefined } {
  const after = items.filter((item) => !paging.marker || (paging.includeMarker ? item.name >= paging.marker : item.name > paging.marker));
  const limited = paging.limit === undefined ? after : after.slice(0, paging.limit);
  return { items: limited, nextMarker: limited.length < after.length ? limited[limited.length - 1]?.name : undefined };
}

const hidden = (ctx: PgContext) => new Set(ctx.options.ignore_dbs);

export function createDatabases(ctx: PgContext, databases: ReadonlyArray<{ name: string; characterSet?: string; collation?: string }>): void {
  for (const database of databases) {
    if (hidden(ctx).has(database.name)) throw ManagerError.invalidArgument('name', `${database.name} is reserved`);
    const encoding = database.characterSet ? ` ENCODING ${literal(database.characterSet, 'character_set')}` : '';
    const collation = database.collation ? ` LC_COLLATE ${literal(database.collation, 'collate')} LC_CTYPE ${literal(database.collation, 'collate')}` : '';
    // a different encoding or collation can only be copied from template0
    const template = encoding || collation ? ' TEMPLATE template0' : '';
    run(`database ${database.name}`, () => query(ctx, `CREATE DATABASE ${ident(database.name)}${template}${encoding}${collation}`));
    // access is by grant: nobody but the granted users (and superusers) may connect
    query(ctx, `REVOKE CONNECT, TEMPORARY ON DATABASE ${ident(database.name)} FROM PUBLIC`);
  }
}

export function listDatabases(ctx: PgContext, paging: Paging) {
  const rows = query(ctx, "SELECT datname AS name, pg_encoding_to_char(encoding) AS encoding, datcollate AS collation FROM pg_database WHERE NOT datistemplate ORDER BY datname").rows;
  const databases = rows
    .filter((row) => !hidden(ctx).has(String(row.name)))
    .map((row) => ({ name: String(row.name), characterSet: String(row.encoding), collation: String(row.collation) }));
  return page(databases, paging);
}

export function deleteDatabase(ctx: PgContext, name: string): void {
  if (hidden(ctx).has(name)) throw ManagerError.invalidArgument('name', `${name} is reserved`);
  run(`database ${name}`, () => query(ctx, `DROP DATABASE ${ident(name)} WITH (FORCE)`));
}

function accessOf(ctx: PgContext, user: string): string[] {
  return query(ctx, "SELECT datname FROM pg_database WHERE NOT datistemplate AND has_database_privilege($1, datname, 'CONNECT') ORDER BY datname", [user])
    .rows.map((row) => String(row.datname))
    .filter((name) => !hidden(ctx).has(name));
}

function assertUser(ctx: PgContext, name: string): void {
  ident(name);
  if (new Set(ctx.options.ignore_users).has(name)) throw ManagerError.invalidArgument('name', `${name} is reserved`);
  if (query(ctx, 'SELECT 1 FROM pg_roles WHERE rolname = $1 AND rolcanlogin AND NOT rolreplication', [name]).rows.length === 0) throw ManagerError.notFound(`user ${name}`);
}

export function createUsers(ctx: PgContext, users: ReadonlyArray<{ name: string; password: string; databases: readonly string[] }>): void {
  for (const user of users) {
    if (new Set(ctx.options.ignore_users).has(user.name)) throw ManagerError.invalidArgument('name', `${user.name} is reserved`);
    ident(user.name);
    literal(user.password);
    // os_admin may not create roles itself (no CREATEROLE): a function of the bootstrap superuser's does
    run(`user ${user.name}`, () => query(ctx, 'SELECT berth.create_user($1, $2)', [user.name, user.password]));
    grantAccess(ctx, user.name, user.databases);
  }
}

/** Replicas' roles (REPLICATION, docs/replication.md) are the manager's, never listed or changed as users. */
export function listUsers(ctx: PgContext, paging: Paging) {
  const ignored = new Set(ctx.options.ignore_users);
  const rows = query(ctx, "SELECT rolname FROM pg_roles WHERE rolcanlogin AND NOT rolreplication AND rolname NOT LIKE 'pg\\_%' ORDER BY rolname").rows;
  const users = rows.map((row) => String(row.rolname)).filter((name) => !ignored.has(name)).map((name) => ({ name, host: undefined, databases: accessOf(ctx, name) }));
  return page(users, paging);
}

export function getUser(ctx: PgContext, name: string) {
  assertUser(ctx, name);
  return { name, host: undefined, databases: accessOf(ctx, name) };
}

export function deleteUser(ctx: PgContext, name: string): void {
  assertUser(ctx, name);
  // DROP OWNED, then DROP ROLE. Tables it owns inside other databases keep DROP ROLE from working, and the error says so.
  run(`user ${name}`, () => query(ctx, 'SELECT berth.drop_user($1)', [name]));
}

export function changePassword(ctx: PgContext, name: string, password: string): void {
  assertUser(ctx, name);
  literal(password);
  run(`user ${name}`, () => query(ctx, 'SELECT berth.set_password($1, $2)', [name, password]));
}

export function renameUser(ctx: PgContext, name: string, newName: string): void {
  assertUser(ctx, name);
  ident(newName, 'name');
  run(`user ${newName}`, () => query(ctx, 'SELECT berth.rename_user($1, $2)', [name, newName]));
}

export function grantAccess(ctx: PgContext, user: string, databases: readonly string[]): void {
  for (const database of databases) {
    if (hidden(ctx).has(database)) throw ManagerError.invalidArgument('databases', `${database} is reserved`);
    run(`database ${database}`, () => query(ctx, `GRANT ALL PRIVILEGES ON DATABASE ${ident(database, 'databases')} TO ${ident(user)}`));
  }
}

export function revokeAccess(ctx: PgContext, user: string, database: string): void {
  assertUser(ctx, user);
  run(`database ${database}`, () => query(ctx, `REVOKE ALL PRIVILEGES ON DATABASE ${ident(database, 'database')} FROM ${ident(user)}`));
}

export function listAccess(ctx: PgContext, user: string) {
  assertUser(ctx, user);
  return accessOf(ctx, user).map((name) => ({ name, characterSet: undefined, collation: undefined }));
}

/**
 * Root is the `postgres` superuser, the tenant's: locked until enabled, locked
 * again when disabled. os_admin is no superuser and may not alter one: the
 * bootstrap superuser's berth.enable_root / disable_root do only this.
 */
export function enableRoot(ctx: PgContext, password: string): void {
  literal(password);
  query(ctx, 'SELECT berth.enable_root($1)', [password]);
}

export function disableRoot(ctx: PgContext): void {
  query(ctx, 'SELECT berth.disable_root()');
}

export function isRootEnabled(ctx: PgContext): boolean {
  const row = query(ctx, 'SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [ROOT_USER]).rows[0];
  return row?.rolcanlogin === true;
}
