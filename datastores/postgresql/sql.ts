import { ManagerError } from '../sdk/index.js';
import type { PgContext } from './options.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

/** A database or role name, checked then double-quoted: DDL takes no parameters. */
export function ident(name: string, field = 'name'): string {
  if (!IDENTIFIER.test(name)) throw ManagerError.invalidArgument(field, `"${name}" must be 1-63 letters, digits, _, $ or -, not starting with a digit`);
  return `"${name}"`;
}

/** A string literal for DDL (passwords): quotes doubled, standard_conforming_strings is on. */
export function literal(value: string, field = 'password'): string {
  if (value.includes('\0')) throw ManagerError.invalidArgument(field, 'must not contain NUL');
  return `'${value.replace(/'/g, "''")}'`;
}

export const admin = (ctx: PgContext) => ctx.sql('admin');

/** A connection error means the server is down, which the caller should hear as `unavailable`. */
export function query(ctx: PgContext, statement: string, params: readonly (string | number | null)[] = []) {
  return admin(ctx).query(statement, params);
}
