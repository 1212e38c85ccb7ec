import type { RestoreSource } from 'berth:datastore/backup@0.2.0';
import { ManagerError, removeTree } from '../sdk/index.js';
import { command, info } from './admin-connection.js';
import { BACKUP_FORMAT } from './backup.js';
import { lastValue } from './config-text.js';
import { layoutOf } from './layout.js';
import type { RedisContext } from './options.js';
import { startServer, stopServer } from './server-process.js';
import { readSettings } from './settings-files.js';
import { waitFor } from './wait.js';

const RDB_MAGIC = 'REDIS';

/** The whole backup, checked, before anything on disk is touched. */
export function readBackup(ctx: RedisContext, source: RestoreSource): Uint8Array {
  if (source.format !== BACKUP_FORMAT) {
    throw ManagerError.invalidArgument('format', `"${source.format}" is not a format the Redis manager restores; it writes and reads ${BACKUP_FORMAT}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  // gathered whole: the SDK's files capability writes whole files only, it cannot append chunk by chunk
  for (const chunk of ctx.artifacts.read(source.id)) {
    chunks.push(chunk);
    size += chunk.length;
  }
  if (BigInt(size) !== BigInt(source.size)) {
    throw ManagerError.failed(`backup ${source.id} arrived with ${size} bytes; the server stored ${source.size}`);
  }
  const data = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    data.set(chunk, offset);
    offset += chunk.length;
  }
  if (String.fromCharCode(...data.subarray(0, RDB_MAGIC.length)) !== RDB_MAGIC) {
    throw ManagerError.failed(`backup ${source.id} is not an RDB file (it does not start with "${RDB_MAGIC}")`);
  }
  return data;
}


function appendOnlyConfigured(ctx: RedisContext): boolean {
  const layout = layoutOf(ctx);
  const value = lastValue(readSettings(ctx, layout.overrides), 'appendonly') ?? lastValue(readSettings(ctx, layout.configuration), 'appendonly');
  return value === 'yes';
}

/**
 * Put the backup in place of the data (the server must be stopped) and start.
 * Redis 7 with appendonly on ignores dump.rdb and, with no AOF, starts empty;
 * so the server loads the RDB with AOF off and then turns it on, which writes
 * a fresh AOF from the loaded data.
 */
export function installBackupAndStart(ctx: RedisContext, data: Uint8Array): void {
  const layout = layoutOf(ctx);
  if (!ctx.files.exists(layout.dataDir)) ctx.files.makeDirectory(layout.dataDir);
  ctx.files.writeBytes(layout.dump, data);
  removeTree(ctx.files, layout.aofDir);
  const appendOnly = appendOnlyConfigured(ctx);
  startServer(ctx, ['--appendonly', 'no']);
  if (!appendOnly) return;
  command(ctx, 'CONFIG', 'SET', 'appendonly', 'yes');
  waitFor(
    ctx.options.start_timeout * 1000,
    () => {
      const aof = info(ctx, 'persistence');
      if (aof.get('aof_rewrite_in_progress') !== '0' || aof.get('aof_rewrite_scheduled') !== '0') return undefined;
      if (aof.get('aof_last_bgrewrite_status') !== 'ok') throw ManagerError.failed('writing the append-only file from the restored data failed; the Redis log says why');
      return true;
    },
    () => ManagerError.failed(`the append-only file was not rewritten within ${ctx.options.start_timeout} s`),
  );
}

export function restoreBackup(ctx: RedisContext, source: RestoreSource): void {
  const data = readBackup(ctx, source);
  ctx.events.progress(`backup ${source.id} read (${data.length} bytes); stopping redis-server`, 40);
  stopServer(ctx, 'nosave');
  installBackupAndStart(ctx, data);
  ctx.events.progress('redis-server answers with the restored data', 100);
}
