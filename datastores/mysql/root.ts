import { ManagerError } from '../sdk/index.js';
import { ROOT_USER, type MyContext } from './options.js';
import { query, run } from './sql.js';

/**
 * Root is Trove's root@'%': a superuser clients log in as from anywhere.
 * root@localhost stays as the installer made it (socket authentication only).
 */
export function enableRoot(ctx: MyContext, password: string | undefined): { name: string; password: string } {
  // the sandbox has no entropy source: the server supplies the password
  if (!password) throw ManagerError.invalidArgument('password', 'the server must supply the root password');
  run('root', () => {
    query(ctx, "CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?", [ROOT_USER, password]);
    query(ctx, "ALTER USER ?@'%' IDENTIFIED BY ?", [ROOT_USER, password]);
    query(ctx, "GRANT ALL PRIVILEGES ON *.* TO ?@'%' WITH GRANT OPTION", [ROOT_USER]);
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
