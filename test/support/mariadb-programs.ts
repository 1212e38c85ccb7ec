import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { MARIADB_PROGRAMS } from '../../server/registry/builtin-datastores.js';

/** The MySQL-family manager's entry, for the build cache (tests and benches build it the same way). */
export const MYSQL_MANAGER = { entry: join(PACKAGE_ROOT, 'datastores', 'mysql', 'manager.ts') };

/** The tests run real MariaDB servers: a machine without its programs fails them, it does not skip them. */
export function requireMariadb(options: { mariabackup: boolean }): void {
  const needed = [MARIADB_PROGRAMS.install[0], MARIADB_PROGRAMS.server[0], MARIADB_PROGRAMS.dump[0], ...(options.mariabackup ? [MARIADB_PROGRAMS.backup[0]] : [])];
  const missing = needed.filter((path) => !existsSync(path));
  if (missing.length > 0) throw new Error(`${missing.join(', ')} missing: apt-get install mariadb-server mariadb-client mariadb-backup`);
}
