import type mysql from 'mysql2';
import type { ConnectionGrant } from '../config/guest-config.js';

/**
 * The account a MySQL grant logs in as, kept short of the server's files
 * (issue 13, finding 4). With the FILE privilege, `SELECT ... INTO OUTFILE`,
 * `LOAD_FILE()` and `LOAD DATA INFILE` write and read any file the server
 * can, unless secure_file_priv confines them to one directory. The host
 * checks every connection it opens, before the manager's first statement,
 * and refuses it (`denied`) when the account (or the role active at login)
 * holds FILE, when the server runs without secure_file_priv, or with another
 * directory than the grant names: secure_file_priv is read only at the
 * server's start, so it holds for the whole session, whatever roles the
 * manager SETs later.
 */

/** A connection the host will not hand to the manager, and why. */
export class AccountRefused extends Error {}

type Query = (sql: string) => Promise<unknown[][]>;

export function queryOf(connection: mysql.Connection): Query {
  return (sql) =>
    new Promise((resolve, reject) =>
      connection.query({ sql, rowsAsArray: true }, (error: unknown, rows: unknown) => (error ? reject(error) : resolve(rows as unknown[][]))),
    );
}

const trimSlashes = (path: string) => path.replace(/\/+$/, '') || '/';

/** `GRANT SELECT, FILE ON *.* TO ...` or `GRANT ALL PRIVILEGES ON *.* ...`: the global privileges include FILE. */
function grantsFile(line: string): boolean {
  const global = /^GRANT (.+?) ON \*\.\* TO /i.exec(line);
  if (!global) return false;
  return global[1]!.split(',').some((privilege) => /^(FILE|ALL( PRIVILEGES)?)$/i.test(privilege.trim()));
}

/** Why this session's account may not serve a manager, or undefined when it may. */
export async function accountRefusal(query: Query, grant: ConnectionGrant): Promise<string | undefined> {
  const [[account, directory]] = (await query('SELECT CURRENT_USER(), @@secure_file_priv')) as [[string, string | null]];
  // SHOW GRANTS lists the account's grants and those of the role active now (a default role)
  const grants = (await query('SHOW GRANTS')).map((row) => String(row[0]));
  if (grants.some(grantsFile)) return `${account} holds the FILE privilege: it could read and write the server's files (INTO OUTFILE, LOAD_FILE); revoke FILE`;
  if (!directory) return `the server runs without secure_file_priv, so INTO OUTFILE and LOAD_FILE reach any file it can; start it with secure_file_priv = ${grant.secure_file_priv ?? 'a directory of its own'}`;
  if (grant.secure_file_priv !== undefined && trimSlashes(directory) !== trimSlashes(grant.secure_file_priv)) {
    return `the server's secure_file_priv is ${directory}, not ${grant.secure_file_priv} as the grant says`;
  }
  return undefined;
}
