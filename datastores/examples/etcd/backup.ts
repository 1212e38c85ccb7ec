import type { BackupRequest, BackupResult, RestoreSource } from 'berth:datastore/backup@0.2.0';
import { ManagerError, removeTree } from '../../sdk/index.js';
import { etcdctl, etcdctlCheck, tail } from './etcdctl.js';
import { layoutOf, type EtcdContext } from './options.js';
import { clusterArguments } from './server-process.js';

export const BACKUP_FORMAT = 'etcd-snapshot';
export const BACKUP_STRATEGY = 'EtcdSnapshot';
const CHUNK = 1 << 20;


function removeIfThere(ctx: EtcdContext, path: string): void {
  if (ctx.files.exists(path)) ctx.files.remove(path);
}

/** `etcdctl snapshot save` into the mount point, then the file through the artifact in chunks (never whole in memory). */
export function createBackup(ctx: EtcdContext, request: BackupRequest): BackupResult {
  const strategy = request.strategy ?? ctx.options.backup_strategy;
  if (strategy !== BACKUP_STRATEGY) throw ManagerError.invalidArgument('strategy', `"${strategy}" is not an etcd backup strategy; the only one is ${BACKUP_STRATEGY}`);
  if (request.parent) throw ManagerError.invalidArgument('parent', 'etcd snapshots are whole: there are no incremental ones');
  const layout = layoutOf(ctx);
  const file = `${layout.mountPoint}/${layout.snapshot}`;
  removeIfThere(ctx, file);
  ctx.events.progress('etcdctl snapshot save', 10);
  etcdctlCheck(ctx, ['snapshot', 'save', layout.snapshot]);
  try {
    const size = ctx.files.size(file);
    const out = ctx.artifacts.writer(request.id);
    for (let offset = 0; offset < size; offset += CHUNK) out.write(ctx.files.readRange(file, offset, CHUNK));
    ctx.events.progress(`snapshot sent (${size} bytes)`, 100);
    const version = etcdctl(ctx, ['version']).stdout.match(/etcdctl version: (\S+)/)?.[1] ?? 'unknown';
    return { format: BACKUP_FORMAT, metadata: [{ key: 'etcd_version', value: version }, { key: 'size', value: String(size) }] };
  } finally {
    removeIfThere(ctx, file);
  }
}

/**
 * The artifact into a file, checked against the size the server stored, then
 * `etcdctl snapshot restore` into a fresh data directory. etcd must be stopped.
 */
export function restoreSnapshot(ctx: EtcdContext, source: RestoreSource): void {
  if (source.format !== BACKUP_FORMAT) throw ManagerError.invalidArgument('format', `"${source.format}" is not a format the etcd manager restores; it writes and reads ${BACKUP_FORMAT}`);
  const layout = layoutOf(ctx);
  const file = `${layout.mountPoint}/${layout.snapshot}`;
  removeIfThere(ctx, file);
  let size = 0;
  for (const chunk of ctx.artifacts.read(source.id)) {
    ctx.files.writeAt(file, size, chunk);
    size += chunk.length;
  }
  try {
    if (BigInt(size) !== BigInt(source.size)) throw ManagerError.failed(`backup ${source.id} arrived with ${size} bytes; the server stored ${source.size}`);
    ctx.events.progress(`backup ${source.id} read (${size} bytes); etcdctl snapshot restore`, 40);
    removeTree(ctx.files, `${layout.mountPoint}/${layout.dataDir}`);
    const restored = etcdctl(ctx, ['snapshot', 'restore', layout.snapshot, '--data-dir', layout.dataDir, ...clusterArguments(ctx)], { login: false });
    if (restored.exitCode !== 0) throw ManagerError.failed(`etcdctl snapshot restore failed: ${tail(restored)}`);
  } finally {
    removeIfThere(ctx, file);
  }
}
