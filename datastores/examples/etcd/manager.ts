// A worked example of a third-party manager (docs/writing-a-manager.md,
// "Worked example: etcd"): a single-member etcd 3.4, written only with the
// SDK's public exports. etcd is spawned (it does not fork) and stopped by
// signalling its handle; root is etcd auth; backups are etcd snapshots.
// Everything else answers `unsupported` from the SDK.
import { defineManager, filesystemStats, ManagerError } from '../../sdk/index.js';
import { createBackup, restoreSnapshot } from './backup.js';
import { ETCDCTL } from './etcdctl.js';
import { etcdOptions } from './options.js';
import { prepare } from './prepare.js';
import { disableRoot, enableRoot, isRootEnabled } from './root.js';
import { ETCD, etcdStatus, restartEtcd, startEtcd, stopEtcd } from './server-process.js';
import { SLEEP } from './wait.js';

export default defineManager({
  name: 'berth-etcd',
  version: '0.1.0',
  datastores: ['etcd'],
  options: etcdOptions,
  needs: {
    programs: [
      { program: ETCD, purpose: 'the datastore, spawned (it does not fork) and stopped by its handle' },
      { program: ETCDCTL, purpose: 'health, root (users, auth), snapshot save and restore' },
      { program: SLEEP, purpose: 'pauses between health polls' },
      { program: 'df', purpose: 'filesystem stats of the mount point' },
    ],
    directories: [{ path: '{mount_point}', access: 'read-write', purpose: 'the data directory, etcd\'s log and pid file, snapshots on their way' }],
  },
  operations: {
    prepare,
    restart: restartEtcd,
    stopDb(ctx, disableAutostart) {
      // the guest host records a stop with disable-autostart and does not bring etcd back at its next start
      if (disableAutostart) ctx.log.info('stop-db: etcd is started only by this manager; it stays down');
      stopEtcd(ctx);
    },
    startDbWithConfChanges(ctx, configContents) {
      if (configContents !== '') throw ManagerError.invalidArgument('config-contents', 'the etcd manager takes no configuration file; pass an empty one');
      startEtcd(ctx);
    },
    status: etcdStatus,
    enableRoot,
    disableRoot,
    isRootEnabled,
    createBackup,
    restoreBackup(ctx, source) {
      stopEtcd(ctx);
      restoreSnapshot(ctx, source);
      startEtcd(ctx);
    },
    getFilesystemStats: (ctx, path) => filesystemStats(ctx.exec, path || ctx.options.mount_point),
  },
});
