import { ManagerError, type ManagerContext } from '../sdk/index.js';
import { TarReader, tarEnd, tarHeader, tarPadding } from '../sdk/tar.js';
import { utf8 } from '../sdk/utf8.js';
import { ADMIN_USER, paths, type PgContext, type PgOptions } from './options.js';
import { ident, literal, query } from './sql.js';
import { isRunning, start, stop } from './server.js';

const CHUNK = 1024 * 1024;
export const FORMAT = 'pg-base-tar';

/** Contents pg_basebackup leaves out too: runtime state a restored server rebuilds. */
const SKIP_CONTENTS = new Set(['pg_wal', 'pg_replslot', 'pg_stat_tmp', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_subtrans']);
const SKIP_FILES = new Set(['postmaster.pid', 'postmaster.opts', 'backup_label', 'tablespace_map', 'backup_label.old']);
/** A copy of a standby, or of a read-only primary, restores as a plain read-write cluster (replication.ts writes these). */
const SKIP_ROLE_FILES = new Set(['standby.signal', 'recovery.signal', 'berth-standby.conf', 'berth-read-only.conf']);

type Writer = ReturnType<ManagerContext<PgOptions>['artifacts']['writer']>;

function writeFile(ctx: PgContext, writer: Writer, path: string, archived: string): void {
  const size = ctx.files.size(path);
  writer.write(tarHeader({ path: archived, type: 'file', size }));
  let offset = 0;
  while (offset < size) {
    // a relation file may shrink under a running server: its pages come back from the WAL, so zeros keep the archive well formed
    let chunk: Uint8Array;
    try {
      chunk = ctx.files.readRange(path, offset, Math.min(CHUNK, size - offset));
    } catch {
      chunk = new Uint8Array(0);
    }
    if (chunk.length === 0) chunk = new Uint8Array(Math.min(CHUNK, size - offset));
    writer.write(chunk);
    offset += chunk.length;
  }
  writer.write(tarPadding(size));
}

function writeTree(ctx: PgContext, writer: Writer, directory: string, archived: string): void {
  for (const entry of ctx.files.list(directory)) {
    const path = `${directory}/${entry.name}`;
    const inArchive = archived ? `${archived}/${entry.name}` : entry.name;
    if (entry.type === 'directory') {
      writer.write(tarHeader({ path: inArchive, type: 'directory', size: 0 }));
      if (!(archived === '' && SKIP_CONTENTS.has(entry.name))) writeTree(ctx, writer, path, inArchive);
    } else if (entry.type === 'regular-file' && !(archived === '' && (SKIP_FILES.has(entry.name) || SKIP_ROLE_FILES.has(entry.name)))) {
      writeFile(ctx, writer, path, inArchive);
    }
  }
}

function textFile(writer: Writer, archived: string, text: string): void {
  const bytes = utf8.encode(text);
  writer.write(tarHeader({ path: archived, type: 'file', size: bytes.length }));
  writer.write(bytes);
  writer.write(tarPadding(bytes.length));
}

/**
 * A base backup with PostgreSQL's low-level API (no pg_basebackup needed):
 * pg_backup_start, the data directory as a tar, pg_backup_stop's label, and
 * the WAL segments the copy spans, so the archive restores on its own.
 */
export function createBackup(ctx: PgContext, id: string): { format: string; metadata: Array<{ key: string; value: string }> } {
  if (!isRunning(ctx)) throw ManagerError.unavailable('PostgreSQL is not running');
  const p = paths(ctx);
  const writer = ctx.artifacts.writer(id);
  const startLsn = String(query(ctx, 'SELECT pg_backup_start($1, true) AS lsn', [`berth ${id}`]).rows[0]!.lsn);
  let stopped: { lsn: string; labelfile: string; spcmapfile: string } | undefined;
  try {
    writeTree(ctx, writer, p.data, '');
    const row = query(ctx, 'SELECT lsn, labelfile, spcmapfile FROM pg_backup_stop(false)').rows[0]!;
    stopped = { lsn: String(row.lsn), labelfile: String(row.labelfile), spcmapfile: String(row.spcmapfile ?? '') };
  } finally {
    if (!stopped) {
      try {
        query(ctx, 'SELECT pg_backup_stop(false)');
      } catch {
        // the session's backup ends with the session anyway
      }
    }
  }
  textFile(writer, 'backup_label', stopped.labelfile);
  if (stopped.spcmapfile) textFile(writer, 'tablespace_map', stopped.spcmapfile);
  const first = String(query(ctx, 'SELECT pg_walfile_name($1::pg_lsn) AS name', [startLsn]).rows[0]!.name);
  const last = String(query(ctx, 'SELECT pg_walfile_name($1::pg_lsn) AS name', [stopped.lsn]).rows[0]!.name);
  const segments = ctx.files
    .list(`${p.data}/pg_wal`)
    .map((entry) => entry.name)
    .filter((name) => /^[0-9A-F]{24}$/.test(name) && name >= first && name <= last)
    .sort();
  if (segments[0] !== first || segments[segments.length - 1] !== last) throw ManagerError.failed(`WAL segments ${first}..${last} are no longer all in pg_wal`);
  for (const name of segments) writeFile(ctx, writer, `${p.data}/pg_wal/${name}`, `pg_wal/${name}`);
  writer.write(tarEnd());
  const version = String(query(ctx, 'SHOW server_version').rows[0]!.server_version);
  return { format: FORMAT, metadata: [{ key: 'start_lsn', value: startLsn }, { key: 'stop_lsn', value: stopped.lsn }, { key: 'server_version', value: version }, { key: 'bytes', value: String(writer.size) }] };
}

function clearDirectory(ctx: PgContext, directory: string): void {
  for (const entry of ctx.files.list(directory)) {
    const path = `${directory}/${entry.name}`;
    if (entry.type === 'directory') clearDirectory(ctx, path);
    ctx.files.remove(path);
  }
}

/** Stop, empty the data directory and unpack a base backup's archive into it; nothing starts. */
export function unpackBase(ctx: PgContext, id: string): void {
  const p = paths(ctx);
  stop(ctx);
  clearDirectory(ctx, p.data);
  const reader = new TarReader(
    (entry) => {
      const path = `${p.data}/${entry.path}`;
      if (entry.type === 'directory') {
        if (!ctx.files.exists(path)) ctx.files.makeDirectory(path);
      } else ctx.files.writeBytes(path, new Uint8Array(0));
    },
    (entry, data) => {
      const path = `${p.data}/${entry.path}`;
      ctx.files.writeAt(path, ctx.files.size(path), data);
    },
  );
  for (const chunk of ctx.artifacts.read(id)) reader.push(chunk);
  reader.finish();
}

/**
 * Replace the data directory with a backup and start: PostgreSQL recovers
 * from the backup label through the archived WAL. The backup carries its
 * source's os_admin password, so the first start lets os_admin in from this
 * host without one, just long enough to set this instance's.
 */
export function restoreBackup(ctx: PgContext, source: { id: string; format: string }): void {
  if (source.format !== FORMAT) throw ManagerError.invalidArgument('format', `${source.format} is not a ${FORMAT} backup`);
  const p = paths(ctx);
  unpackBase(ctx, source.id);

  const hba = `${p.data}/pg_hba.conf`;
  const normal = ctx.files.readText(hba);
  ctx.files.writeText(hba, `host all ${ADMIN_USER} 127.0.0.1/32 trust\n${normal}`);
  start(ctx);
  query(ctx, `ALTER ROLE ${ident(ADMIN_USER)} PASSWORD ${literal(ctx.options.admin_password, 'admin_password')}`);
  ctx.files.writeText(hba, normal);
  query(ctx, 'SELECT pg_reload_conf()');
}
