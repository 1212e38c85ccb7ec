import { ManagerError } from '../sdk/index.js';
import { REPLICA_ACCOUNT, type MyContext } from './options.js';
import { assertNotReserved, schemaExists, userDatabases, type Database } from './databases.js';
import { checkHost, checkUser, column, ident, page, query, run, type Paging } from './sql.js';

export interface UserRef {
  name: string;
  host?: string;
}
interface Account {
  name: string;
  host: string;
}

/** Trove's default host: anywhere the security group lets in. */
const DEFAULT_HOST = '%';
const label = (account: Account) => `user ${account.name}@${account.host}`;

function accountOf(ref: UserRef, field = 'name'): Account {
  return { name: checkUser(ref.name, field), host: checkHost(ref.host ?? DEFAULT_HOST) };
}

function notIgnored(ctx: MyContext, account: Account): Account {
  if (ctx.options.ignore_users.includes(account.name) || REPLICA_ACCOUNT.test(account.name)) throw ManagerError.invalidArgument('name', `${account.name} is reserved`);
  return account;
}

function exists(ctx: MyContext, account: Account): boolean {
  return query(ctx, 'SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?', [account.name, account.host]).rows.length > 0;
}

/** An existing user the caller may manage. */
function existing(ctx: MyContext, ref: UserRef): Account {
  const account = notIgnored(ctx, accountOf(ref));
  if (!exists(ctx, account)) throw ManagerError.notFound(label(account));
  return account;
}

/** The databases a user holds privileges on, among those that exist. */
function accessOf(ctx: MyContext, account: Account): Database[] {
  const granted = new Set(column(ctx, 'SELECT DISTINCT Db FROM mysql.db WHERE User = ? AND Host = ?', [account.name, account.host]));
  return userDatabases(ctx)
    .filter((database) => granted.has(database.name))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

export function createUsers(ctx: MyContext, users: ReadonlyArray<{ name: string; host?: string; password: string; databases: readonly string[] }>): void {
  for (const user of users) {
    const account = notIgnored(ctx, accountOf(user));
    if (exists(ctx, account)) throw ManagerError.alreadyExists(label(account));
    run(label(account), () => query(ctx, 'CREATE USER ?@? IDENTIFIED BY ?', [account.name, account.host, user.password]));
    grantAccess(ctx, account, user.databases);
  }
}

/** Accounts clients use: not the manager's, not root's, not the local system ones (Trove hides 'localhost'), not roles. */
export function listUsers(ctx: MyContext, paging: Paging) {
  const rows = query(ctx, "SELECT User AS name, Host AS host FROM mysql.user WHERE Host NOT IN ('localhost', '') AND User <> ''").rows;
  const ignored = new Set(ctx.options.ignore_users);
  const accounts = rows.map((row) => ({ name: String(row.name), host: String(row.host) })).filter((account) => !ignored.has(account.name) && !REPLICA_ACCOUNT.test(account.name));
  const paged = page(accounts, (account) => `${account.name}@${account.host}`, paging);
  return { items: paged.items.map((account) => ({ ...account, databases: accessOf(ctx, account).map((d) => d.name) })), nextMarker: paged.nextMarker };
}

export function getUser(ctx: MyContext, ref: UserRef) {
  const account = existing(ctx, ref);
  return { ...account, databases: accessOf(ctx, account).map((d) => d.name) };
}

export function deleteUser(ctx: MyContext, ref: UserRef): void {
  const account = existing(ctx, ref);
  run(label(account), () => query(ctx, 'DROP USER ?@?', [account.name, account.host]));
}

export function changePassword(ctx: MyContext, ref: UserRef, password: string): void {
  const account = existing(ctx, ref);
  run(label(account), () => query(ctx, 'ALTER USER ?@? IDENTIFIED BY ?', [account.name, account.host, password]));
}

export function updateAttributes(ctx: MyContext, ref: UserRef, attributes: { name?: string; host?: string; password?: string }): void {
  const account = existing(ctx, ref);
  if (attributes.password) run(label(account), () => query(ctx, 'ALTER USER ?@? IDENTIFIED BY ?', [account.name, account.host, attributes.password!]));
  const target = notIgnored(ctx, accountOf({ name: attributes.name ?? account.name, host: attributes.host ?? account.host }));
  if (target.name === account.name && target.host === account.host) return;
  if (exists(ctx, target)) throw ManagerError.alreadyExists(label(target));
  run(label(account), () => query(ctx, 'RENAME USER ?@? TO ?@?', [account.name, account.host, target.name, target.host]));
}

export function grantAccess(ctx: MyContext, ref: UserRef, databases: readonly string[]): void {
  const account = existing(ctx, ref);
  for (const database of databases) {
    assertNotReserved(ctx, database, 'databases');
    const quoted = ident(database, 'databases');
    if (!schemaExists(ctx, database)) throw ManagerError.notFound(`database ${database}`);
    run(label(account), () => query(ctx, `GRANT ALL PRIVILEGES ON ${quoted}.* TO ?@?`, [account.name, account.host]));
  }
}

/** Revoking access the user does not have is already done. */
export function revokeAccess(ctx: MyContext, ref: UserRef, database: string): void {
  const account = existing(ctx, ref);
  assertNotReserved(ctx, database, 'database');
  const quoted = ident(database, 'database');
  if (!schemaExists(ctx, database)) throw ManagerError.notFound(`database ${database}`);
  const held = query(ctx, 'SELECT 1 FROM mysql.db WHERE User = ? AND Host = ? AND Db = ?', [account.name, account.host, database]).rows.length > 0;
  if (held) run(label(account), () => query(ctx, `REVOKE ALL PRIVILEGES ON ${quoted}.* FROM ?@?`, [account.name, account.host]));
}

export function listAccess(ctx: MyContext, ref: UserRef): Database[] {
  return accessOf(ctx, existing(ctx, ref));
}
