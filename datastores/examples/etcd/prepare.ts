import type { PrepareRequest } from 'berth:datastore/lifecycle@0.2.0';
import { ManagerError } from '../../sdk/index.js';
import { restoreSnapshot } from './backup.js';
import { layoutOf, type EtcdContext } from './options.js';
import { enableRoot } from './root.js';
import { startEtcd, stopEtcd } from './server-process.js';

function checkRequest(ctx: EtcdContext, request: PrepareRequest): void {
  if (request.databases.length > 0) throw ManagerError.invalidArgument('databases', 'etcd has no databases; leave the list empty');
  if (request.users.length > 0) throw ManagerError.invalidArgument('users', 'the etcd manager creates no users (root is enabled separately); leave the list empty');
  if (request.configContents) throw ManagerError.invalidArgument('config-contents', 'the etcd manager takes no configuration file; leave it empty');
  if (request.overrides.length > 0) throw ManagerError.invalidArgument('overrides', 'the etcd manager declares no configuration parameters');
  const mountPoint = layoutOf(ctx).mountPoint;
  if (request.mountPoint !== undefined && request.mountPoint.replace(/\/+$/, '') !== mountPoint) {
    throw ManagerError.invalidArgument('mount-point', `must be the guest option mount_point (${mountPoint}), which every later operation reads`);
  }
}

/**
 * Start etcd (its first start makes the data directory), from a snapshot
 * when the request names a backup. Safe to re-run: etcd already healthy is
 * left running, and a restore stops it first.
 */
export function prepare(ctx: EtcdContext, request: PrepareRequest): void {
  checkRequest(ctx, request);
  if (request.backup) {
    stopEtcd(ctx);
    restoreSnapshot(ctx, request.backup);
  }
  ctx.events.progress('starting etcd', 60);
  startEtcd(ctx);
  if (request.rootPassword !== undefined) enableRoot(ctx, request.rootPassword);
  ctx.events.progress('etcd is healthy', 100);
}
