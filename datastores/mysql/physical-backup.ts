import { CapabilityError, ManagerError } from '../sdk/index.js';
import { utf8 } from '../sdk/utf8.js';
import { readTar, writeTar } from './archive.js';
import { clientLogin, LONG_RUN_MS } from './client.js';
import { paths, type MyContext } from './options.js';
import { ensureLayout, start, stop } from './server.js';
import { clearDirectory, removeTree } from '../sdk/file-trees.js';

export const PHYSICAL_FORMAT = 'mariabackup-tar';

/** mariabackup is optional: used when the guest config grants it (Debian's mariadb-backup package). */
export function mariabackupGranted(ctx: MyContext): boolean {
  try {
    return ctx.exec.run('mariabackup', ['--version'], { timeoutMs: 30_000 }).exitCode === 0;
  } catch (error) {
    if (error instanceof CapabilityError && error.value.tag === 'denied') return false;
    throw error;
  }
}

function checkpoints(ctx: MyContext, target: string): Record<string, string> {
  const out: Record<string, string> = {};
  const file = `${target}/xtrabackup_checkpoints`;
  if (!ctx.files.exists(file)) return out;
  for (const line of utf8.decode(ctx.files.readBytes(file)).split('\n')) {
    const match = /^(\w+)\s*=\s*(.*)$/.exec(line.trim());
    if (match) out[match[1]!] = match[2]!;
  }
  return out;
}

/** The GTID position of the copy, from mariabackup's xtrabackup_binlog_info ("file<TAB>offset<TAB>gtid"); empty without one. */
function binlogGtid(ctx: MyContext, target: string): string {
  const file = `${target}/xtrabackup_binlog_info`;
  if (!ctx.files.exists(file)) return '';
  return utf8.decode(ctx.files.readBytes(file)).trim().split(/\s+/)[2] ?? '';
}

/**
 * A hot copy with mariabackup into the volume, prepared there (so a restore
 * is only unpacking: no mariabackup needed on the restoring side), streamed
 * out as a tar, then removed.
 */
export function createPhysicalBackup(ctx: MyContext, id: string): { bytes: number; metadata: Array<{ key: string; value: string }> } {
  const p = paths(ctx);
  const target = `${p.backup}/${id}`;
  removeTree(ctx.files, target);
  const login = clientLogin(ctx);
  try {
    ctx.exec.check('mariabackup', [`--defaults-file=${p.serverConf}`, '--backup', `--target-dir=${target}`, ...login.args], { env: login.env, cwd: p.backup, timeoutMs: LONG_RUN_MS });
    ctx.exec.check('mariabackup', ['--no-defaults', '--prepare', `--target-dir=${target}`], { cwd: p.backup, timeoutMs: LONG_RUN_MS });
    const lsn = checkpoints(ctx, target);
    const gtid = binlogGtid(ctx, target);
    const writer = ctx.artifacts.writer(id);
    writeTar(ctx, writer, target);
    return { bytes: writer.size, metadata: [{ key: 'to_lsn', value: lsn.to_lsn ?? '' }, { key: 'gtid', value: gtid }] };
  } finally {
    removeTree(ctx.files, target);
  }
}

/** Replace the data directory with the prepared copy; os_admin gets this instance's password at the start. */
export function restorePhysicalBackup(ctx: MyContext, id: string): void {
  const p = paths(ctx);
  stop(ctx);
  ensureLayout(ctx);
  clearDirectory(ctx.files, p.data);
  readTar(ctx, id, p.data);
  if (!ctx.files.exists(`${p.data}/mysql`)) throw ManagerError.failed(`backup ${id} holds no mysql system schema: not a MariaDB data directory`);
  start(ctx, { adminInit: true });
}
