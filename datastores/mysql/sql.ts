import { CapabilityError, ManagerError, type SqlParam } from '../sdk/index.js';
import type { MyContext } from './options.js';

const DATABASE = /^[A-Za-z0-9_$][A-Za-z0-9_$-]{0,63}$/;
const USER = /^[A-Za-z0-9_.$-][A-Za-z0-9_.@$-]{0,79}$/;
/** Host patterns as MySQL takes them: names, IPv4/IPv6 addresses, % and _ wildcards, address/netmask. */
const HOST = /^[A-Za-z0-9%_.:/-]{1,255}$/;
const CHARSET = /^[A-Za-z0-9_]{1,64}$/;

/** A schema name, checked then backquoted: DDL takes no parameters. */
export function ident(name: string, field = 'name'): string {
  if (!DATABASE.test(name)) throw ManagerError.invalidArgument(field, `"${name}" must be 1-64 letters, digits, _, $ or -`);
  return `\`${name}\``;
}

export function checkUser(name: string, field = 'name'): string {
  if (!USER.test(name)) throw ManagerError.invalidArgument(field, `"${name}" must be 1-80 letters, digits, _, ., @, $ or -`);
  return name;
}

export function checkHost(host: string, field = 'host'): string {
  if (!HOST.test(host)) throw ManagerError.invalidArgument(field, `"${host}" is not a host pattern (a name, an address, % or _ wildcards)`);
  return host;
}

export function checkCharset(value: string, field: string): string {
  if (!CHARSET.test(value)) throw ManagerError.invalidArgument(field, `"${value}" must be letters, digits and _`);
  return value;
}

/** A string literal for SQL the manager writes into a file (the init file): no driver escapes it there. */
export function literal(value: string, field = 'password'): string {
  if (value.includes('\0')) throw ManagerError.invalidArgument(field, 'must not contain NUL');
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

/** One statement on the admin connection; `?` parameters are escaped by the driver (accounts: `?@?`). */
export function query(ctx: MyContext, statement: string, params: readonly SqlParam[] = []) {
  return ctx.sql('admin').query(statement, params);
}

/** The rows' first column as text. */
export function column(ctx: MyContext, statement: string, params: readonly SqlParam[] = []): string[] {
  const result = query(ctx, statement, params);
  const name = result.columns[0]!;
  return result.rows.map((row) => String(row[name]));
}

/** A server that cannot be reached is `unavailable` to the caller; a refused statement `failed`, quoting the server. */
export function run<T>(what: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (!(error instanceof CapabilityError)) throw error;
    if (error.value.tag === 'database') throw ManagerError.failed(`${what}: ${error.value.val.message}`);
    throw ManagerError.unavailable(`${what}: ${error.message}`);
  }
}

export type Paging = { limit?: number; marker?: string; includeMarker: boolean };

/** Trove's paging over items sorted by `key`: at most `limit` after the marker (or from it). */
export function page<T>(items: T[], key: (item: T) => string, paging: Paging): { items: T[]; nextMarker: string | undefined } {
  const sorted = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const marker = paging.marker;
  const after = sorted.filter((item) => marker === undefined || (paging.includeMarker ? key(item) >= marker : key(item) > marker));
  const limited = paging.limit === undefined ? after : after.slice(0, paging.limit);
  const last = limited[limited.length - 1];
  return { items: limited, nextMarker: limited.length < after.length && last !== undefined ? key(last) : undefined };
}
