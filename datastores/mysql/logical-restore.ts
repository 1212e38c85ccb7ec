import { CapabilityError, ManagerError } from '../sdk/index.js';
import { readToFile } from './archive.js';
import { paths, type MyContext } from './options.js';
import { start } from './server.js';
import { SqlScript, SqlScriptError, type Statement } from './sql-script.js';
import { column, query } from './sql.js';
import { removeIfPresent } from './volume-files.js';

const CHUNK = 1024 * 1024;
/** How much of a failed statement an error quotes. */
const QUOTED = 160;

/**
 * What the dump changes in the connection's session, put back whether it
 * finished or not: the host keeps one session per connection for later
 * calls, and a restore cut short inside LOCK TABLES would leave it locked.
 */
function resetSession(ctx: MyContext): void {
  for (const statement of ['ROLLBACK', 'UNLOCK TABLES', 'SET NAMES utf8mb4', 'SET SESSION time_zone = DEFAULT, sql_mode = DEFAULT, foreign_key_checks = DEFAULT, unique_checks = DEFAULT, sql_notes = DEFAULT']) {
    try {
      query(ctx, statement);
    } catch (error) {
      // a broken connection is opened afresh at the next call, with a fresh session
      if (!(error instanceof CapabilityError)) throw error;
    }
  }
}

function execute(ctx: MyContext, what: string, statement: Statement): void {
  try {
    query(ctx, statement.text);
  } catch (error) {
    if (!(error instanceof CapabilityError)) throw error;
    const quoted = statement.text.length > QUOTED ? `${statement.text.slice(0, QUOTED)}…` : statement.text;
    const detail = `${what}: the statement on line ${statement.line} (${JSON.stringify(quoted)}) failed: ${error.message}`;
    throw error.value.tag === 'database' ? ManagerError.failed(detail) : ManagerError.unavailable(detail);
  }
}

/**
 * The statements of a SQL file in the volume, run one by one on the admin
 * connection, read a chunk at a time. Each statement has the connection's
 * deadline (the host's call_timeout): mariadb-dump's inserts are about 1 MiB each.
 */
export function runSqlFile(ctx: MyContext, file: string, what: string): number {
  const maxChars = Number(column(ctx, 'SELECT @@max_allowed_packet')[0]);
  let statements = 0;
  const script = new SqlScript((statement) => {
    execute(ctx, what, statement);
    statements++;
  }, maxChars);
  const size = ctx.files.size(file);
  try {
    for (let offset = 0; offset < size; ) {
      const read = ctx.files.readRange(file, offset, Math.min(CHUNK, size - offset));
      if (read.length === 0) throw ManagerError.failed(`${what}: ${file} shrank while it was being read`);
      script.pushBytes(read);
      offset += read.length;
    }
    script.finish();
  } catch (error) {
    if (error instanceof SqlScriptError) throw ManagerError.failed(`${what}: ${error.message}`);
    throw error;
  } finally {
    resetSession(ctx);
  }
  return statements;
}

/**
 * The dump into a file in the volume (an artifact is read once, start to
 * end), then its statements through the admin connection: no client program,
 * so nothing in a dump can reach a shell or load a plugin.
 */
export function restoreLogicalBackup(ctx: MyContext, id: string): void {
  const p = paths(ctx);
  start(ctx);
  const file = `${p.backup}/restore-${id}.sql`;
  try {
    readToFile(ctx, id, file);
    const statements = runSqlFile(ctx, file, `backup ${id}`);
    ctx.log.info(`backup ${id}: ${statements} statements restored`);
  } finally {
    removeIfPresent(ctx, file);
  }
}
