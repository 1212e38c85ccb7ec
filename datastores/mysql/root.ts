import { ManagerError } from '../sdk/index.js';
import { ROOT_USER, type MyContext } from './options.js';
import { column, query, run } from './sql.js';

/**
 * os_admin's global privileges, as the server lists them: every one but FILE
 * (server.ts), which is what root gets, since a grantor may give only what it holds.
 */
function adminPrivileges(ctx: MyContext): string {
  for (const line of column(ctx, 'SHOW GRANTS FOR CURRENT_USER()')) {
    const global = /^GRANT (.+?) ON \*\.\* TO /.exec(line);
    if (global && /^[A-Z_ ,]+$/.test(global[1]!)) return global[1]!;
  }
  throw ManagerError.failed('os_admin has no global privileges to give root');
}

/**
 * Root is Trove's root@'%': a superuser clients log in as from anywhere,
 * with every privilege but FILE (it would read and write the server's files;
 * secure_file_priv confines them to an empty directory anyway).
 * root@localhost stays as the installer made it (socket authentication only).
 */
export function enableRoot(ctx: MyContext, password: string | undefined): { name: string; password: string } {
  // the sandbox has no entropy source: the server supplies the password
  if (!password) throw ManagerError.invalidArgument('password', 'the server must supply the root password');
  run('root', () => {
    query(ctx, "CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?", [ROOT_USER, password]);
    query(ctx, "ALTER USER ?@'%' IDENTIFIED BY ?", [ROOT_USER, password]);
    query(ctx, `GRANT ${adminPrivileges(ctx)} ON *.* TO ?@'%' WITH GRANT OPTION`, [ROOT_USER]);
  });
  return { name: ROOT_USER, password };
}

export function disableRoot(ctx: MyContext): void {
  run('root', () => query(ctx, "DROP USER IF EXISTS ?@'%'", [ROOT_USER]));
}

/** Any root account clients can reach, as Trove asks it. */
export function isRootEnabled(ctx: MyContext): boolean {
  return query(ctx, "SELECT 1 FROM mysql.user WHERE User = ? AND Host NOT IN ('localhost', '')", [ROOT_USER]).rows.length > 0;
}
