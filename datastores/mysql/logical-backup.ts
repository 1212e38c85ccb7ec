import { ManagerError } from '../sdk/index.js';
import { utf8 } from '../sdk/utf8.js';
import { streamFile } from './archive.js';
import { clientLogin, LONG_RUN_MS } from './client.js';
import { userDatabases } from './databases.js';
import { ADMIN_USER, paths, type MyContext } from './options.js';
import { query } from './sql.js';
import { removeIfPresent } from './volume-files.js';

export const LOGICAL_FORMAT = 'mysqldump-sql';

/**
 * The accounts clients use, as SQL: root@'%' included (a restore keeps root
 * enabled, as a physical copy would), the manager's os_admin and the local
 * system accounts left out, so the restoring instance keeps its own.
 */
function accountsSql(ctx: MyContext): string {
  const rows = query(ctx, "SELECT User AS name, Host AS host FROM mysql.user WHERE Host NOT IN ('localhost', '') AND User NOT IN ('', ?)", [ADMIN_USER]).rows;
  const statements: string[] = [];
  for (const row of rows) {
    const account = [String(row.name), String(row.host)];
    const created = query(ctx, 'SHOW CREATE USER ?@?', account);
    statements.push(String(created.rows[0]![created.columns[0]!]).replace(/^CREATE USER /i, 'CREATE USER IF NOT EXISTS '));
    const grants = query(ctx, 'SHOW GRANTS FOR ?@?', account);
    for (const grant of grants.rows) statements.push(String(grant[grants.columns[0]!]));
  }
  statements.push('FLUSH PRIVILEGES');
  return `\n-- Accounts, written by the Berth MySQL manager\n${statements.map((statement) => `${statement};\n`).join('')}`;
}

/** mariadb-dump of every user database to a file in the volume, streamed out, then the accounts. */
export function createLogicalBackup(ctx: MyContext, id: string): { bytes: number; metadata: Array<{ key: string; value: string }> } {
  const p = paths(ctx);
  const databases = userDatabases(ctx).map((database) => database.name);
  const odd = databases.find((name) => name.startsWith('-'));
  if (odd) throw ManagerError.failed(`database ${odd}: a name starting with "-" would be read as an option by mariadb-dump`);
  const writer = ctx.artifacts.writer(id);
  const file = `${p.backup}/${id}.sql`;
  try {
    if (databases.length > 0) {
      const login = clientLogin(ctx);
      const args = ['--no-defaults', ...login.args, '--single-transaction', '--routines', '--triggers', '--events', '--hex-blob', '--default-character-set=utf8mb4', `--result-file=${file}`];
      ctx.exec.check('mariadb-dump', [...args, '--databases', ...databases], { env: login.env, timeoutMs: LONG_RUN_MS });
      streamFile(ctx, writer, file);
    }
    writer.write(utf8.encode(accountsSql(ctx)));
  } finally {
    removeIfPresent(ctx, file);
  }
  return { bytes: writer.size, metadata: [{ key: 'databases', value: databases.join(',') }] };
}
