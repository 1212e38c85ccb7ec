import { ManagerError } from '../sdk/index.js';
import { createLogicalBackup, LOGICAL_FORMAT } from './logical-backup.js';
import { restoreLogicalBackup } from './logical-restore.js';
import { paths, type MyContext } from './options.js';
import { createPhysicalBackup, mariabackupGranted, PHYSICAL_FORMAT, restorePhysicalBackup } from './physical-backup.js';
import { ensureLayout, isRunning } from './server.js';
import { column } from './sql.js';
import { clearDirectory } from '../sdk/file-trees.js';

/** Trove's strategy names: the hot physical copy (xtrabackup's for mysql and percona, mariabackup's for mariadb), or a dump. */
const PHYSICAL = new Set(['mariabackup', 'innobackupex', 'xtrabackup']);
const LOGICAL = new Set(['mysqldump', 'mariadbdump', 'mariadb-dump']);

/** What a backup or restore cut short by a guest restart left in the staging directory: one runs at a time. */
function clearStaging(ctx: MyContext): void {
  ensureLayout(ctx);
  clearDirectory(ctx.files, paths(ctx).backup);
}

/** Whether a backup of `strategy` (the guest's backup_strategy by default) is a physical copy: mariabackup must be granted too. */
export function usesPhysical(ctx: MyContext, strategy = ctx.options.backup_strategy): boolean {
  return PHYSICAL.has(strategy.toLowerCase()) && mariabackupGranted(ctx);
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function createBackup(ctx: MyContext, request: { id: string; strategy?: string; parent?: unknown }) {
  if (!ID.test(request.id)) throw ManagerError.invalidArgument('id', `${request.id} is not a backup id`);
  if (request.parent) throw ManagerError.invalidArgument('parent', 'incremental backups are not supported: take a full backup');
  const strategy = request.strategy ?? ctx.options.backup_strategy;
  const key = strategy.toLowerCase();
  if (!PHYSICAL.has(key) && !LOGICAL.has(key)) throw ManagerError.invalidArgument('strategy', `${strategy} is not a strategy of this manager (MariaBackup, InnoBackupEx or MysqlDump)`);
  if (!isRunning(ctx)) throw ManagerError.unavailable('MariaDB is not running');
  clearStaging(ctx);
  const physical = usesPhysical(ctx, strategy);
  if (PHYSICAL.has(key) && !physical) ctx.log.info(`backup ${request.id}: mariabackup is not granted, taking a logical dump instead of ${strategy}`);
  const taken = physical ? createPhysicalBackup(ctx, request.id) : createLogicalBackup(ctx, request.id);
  const version = column(ctx, 'SELECT VERSION()')[0] ?? '';
  return {
    format: physical ? PHYSICAL_FORMAT : LOGICAL_FORMAT,
    metadata: [{ key: 'server_version', value: version }, { key: 'strategy', value: physical ? 'MariaBackup' : 'MysqlDump' }, { key: 'bytes', value: String(taken.bytes) }, ...taken.metadata],
  };
}

export function restoreBackup(ctx: MyContext, source: { id: string; format: string }): void {
  if (!ID.test(source.id)) throw ManagerError.invalidArgument('id', `${source.id} is not a backup id`);
  clearStaging(ctx);
  if (source.format === PHYSICAL_FORMAT) restorePhysicalBackup(ctx, source.id);
  else if (source.format === LOGICAL_FORMAT) restoreLogicalBackup(ctx, source.id);
  else throw ManagerError.invalidArgument('format', `${source.format} is neither ${PHYSICAL_FORMAT} nor ${LOGICAL_FORMAT}`);
}
