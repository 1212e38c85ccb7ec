// The Redis manager: what Trove's Redis guest agent supports (lifecycle, root
// as requirepass, configuration overrides, RDB backups, replication over
// Redis's own link), and nothing else.
// Redis has no databases or users in Trove's sense: those operations answer
// `unsupported` from the SDK, on purpose.
import { defineManager } from '../sdk/index.js';
import { PARAMETERS } from './override-rules.js';
import { createBackup } from './backup.js';
import { applyOverrides, resetConfiguration, startWithConfigurationChanges, updateOverrides } from './configuration.js';
import { listLogs, readLog } from './guest-log.js';
import { redisOptions } from './options.js';
import { prepare } from './prepare.js';
import { restoreBackup } from './restore.js';
import { disableRoot, enableRoot, isRootEnabled } from './root.js';
import { REDIS_SERVER, restartServer, serviceStatus, stopServer } from './server-process.js';
import { ADMIN_CONNECTION } from './admin-connection.js';
import {
  attachReplica,
  backupRequiredForReplication,
  demoteReplicationMaster,
  detachReplica,
  enableAsMaster,
  getLastTxn,
  getLatestTxnId,
  getReplicationSnapshot,
  makeReadOnly,
  waitForTxn,
} from './replication.js';

export default defineManager({
  name: 'berth-redis',
  version: '0.1.0',
  datastores: ['redis'],
  options: redisOptions,
  needs: {
    programs: [{ program: REDIS_SERVER, purpose: 'starts the datastore (it daemonizes)' }],
    directories: [{ path: '{mount_point}', access: 'read-write', purpose: 'redis.conf, replication.conf, the ACL file, the data directory, pid file and log' }],
    connections: [{ name: ADMIN_CONNECTION, kind: 'redis', purpose: 'status, shutdown, root, configuration, snapshots and replication (REPLICAOF only to the source attach-replica names), as the ACL user berth (password: option admin_password)' }],
  },
  parameters: PARAMETERS,
  operations: {
    prepare,
    restart: restartServer,
    stopDb(ctx, disableAutostart) {
      // nothing starts redis-server at boot but this manager, so there is no autostart to disable
      if (disableAutostart) ctx.log.info('stop-db: redis-server is started only by this manager; nothing to disable at boot');
      stopServer(ctx, 'as-configured');
    },
    startDbWithConfChanges: startWithConfigurationChanges,
    status: serviceStatus,
    enableRoot,
    disableRoot,
    isRootEnabled,
    createBackup,
    restoreBackup,
    updateOverrides,
    applyOverrides,
    resetConfiguration,
    backupRequiredForReplication,
    getReplicationSnapshot,
    attachReplica,
    detachReplica,
    makeReadOnly,
    enableAsMaster,
    demoteReplicationMaster,
    getLastTxn,
    getLatestTxnId,
    waitForTxn,
    guestLogList: listLogs,
    guestLogRead: readLog,
  },
});
