// The MySQL manager, for the mysql, percona and mariadb datastores: a data
// directory on the mount point initialised with mariadb-install-db, mariadbd
// started detached (exec spawn: it does not daemonize) and stopped with
// SHUTDOWN, everything else over SQL as the manager's own os_admin through the
// host's admin connection. Backups: mariabackup when granted, mariadb-dump
// otherwise; a dump is restored statement by statement over that connection,
// not with the `mariadb` client (its `system` command runs anything).
// Replication: MariaDB GTIDs, a replica seeded from the same backups
// (replication.ts, docs/replication.md). The
// programs are MariaDB's; a MySQL or Percona server can be granted under those
// names.
import { defineManager } from '../sdk/index.js';
import { PARAMETERS } from './parameters.js';
import { createBackup, restoreBackup } from './backup.js';
import { applyOverrides, resetConfiguration, updateOverrides } from './configuration.js';
import * as databases from './databases.js';
import { filesystemStats, listLogs, logAction, readLog } from './guest-log.js';
import { optionsSchema } from './options.js';
import { prepare } from './prepare.js';
import * as replication from './replication.js';
import { within } from './replication-contract.js';
import { lastTxn, latestTxnId, waitForTxn } from './replication-position.js';
import * as root from './root.js';
import { restart, start, status, stop } from './server.js';
import * as users from './users.js';

export default defineManager({
  name: 'berth-mysql',
  version: '0.1.0',
  datastores: ['mysql', 'percona', 'mariadb'],
  options: optionsSchema,
  needs: {
    // mariabackup is used when granted, and not required: backups fall back to mariadb-dump
    programs: [
      { program: 'mariadb-install-db', purpose: 'create the system tables in the data directory' },
      { program: 'mariadbd', purpose: 'the server, started detached; also lists the options a configuration may set' },
      { program: 'mariadb-dump', purpose: 'logical backups' },
      { program: 'df', purpose: 'filesystem stats of the volume' },
      { program: 'sleep', purpose: 'pause between polls while mariadbd starts or stops' },
    ],
    directories: [{ path: '{mount_point}', access: 'read-write', purpose: 'the data directory, option files, socket, logs and backup staging' }],
    connections: [{ name: 'admin', kind: 'mysql', purpose: 'os_admin over TCP: databases, users, access, root, configuration, shutdown' }],
  },
  parameters: PARAMETERS,
  operations: {
    prepare: (ctx, request) => prepare(ctx, request),
    status: (ctx) => status(ctx),
    restart: (ctx) => restart(ctx),
    stopDb: (ctx) => stop(ctx),
    startDbWithConfChanges(ctx, contents) {
      // on a server that is already up the new configuration waits for a restart, and the probe says so
      if (contents.trim()) resetConfiguration(ctx, contents);
      start(ctx);
    },

    createDatabases: (ctx, list) => databases.createDatabases(ctx, list),
    listDatabases: (ctx, paging) => databases.listDatabases(ctx, paging),
    deleteDatabase: (ctx, name) => databases.deleteDatabase(ctx, name),

    createUsers: (ctx, list) => users.createUsers(ctx, list),
    listUsers: (ctx, paging) => users.listUsers(ctx, paging),
    getUser: (ctx, user) => users.getUser(ctx, user),
    deleteUser: (ctx, user) => users.deleteUser(ctx, user),
    changePasswords(ctx, changes) {
      for (const change of changes) users.changePassword(ctx, change.user, change.password);
    },
    updateAttributes: (ctx, user, attributes) => users.updateAttributes(ctx, user, attributes),
    grantAccess: (ctx, user, list) => users.grantAccess(ctx, user, list),
    revokeAccess: (ctx, user, database) => users.revokeAccess(ctx, user, database),
    listAccess: (ctx, user) => users.listAccess(ctx, user),

    enableRoot: (ctx, password) => root.enableRoot(ctx, password),
    disableRoot: (ctx) => root.disableRoot(ctx),
    isRootEnabled: (ctx) => root.isRootEnabled(ctx),

    getFilesystemStats: (ctx, path) => filesystemStats(ctx, path || ctx.options.mount_point),
    updateOverrides: (ctx, overrides, remove) => updateOverrides(ctx, overrides, remove),
    applyOverrides: (ctx, overrides) => applyOverrides(ctx, overrides),
    resetConfiguration: (ctx, contents) => resetConfiguration(ctx, contents),

    guestLogList: (ctx) => listLogs(ctx),
    guestLogAction: (ctx, name, action) => logAction(ctx, name, action),
    guestLogRead: (ctx, name, offset, maxBytes) => readLog(ctx, name, offset, maxBytes),

    createBackup: (ctx, request) => createBackup(ctx, request),
    restoreBackup: (ctx, source) => restoreBackup(ctx, source),

    // each answers only the error cases its WIT documentation lists (replication-contract.ts)
    backupRequiredForReplication: () => true,
    getReplicationSnapshot: (ctx, snapshotId, settings) => within(['unavailable', 'denied'], () => replication.getReplicationSnapshot(ctx, snapshotId, settings)),
    attachReplica: (ctx, snapshot, settings) => within(['invalid-argument'], () => replication.attachReplica(ctx, snapshot, settings)),
    detachReplica: (ctx, forFailover) => within(['not-found'], () => replication.detachReplica(ctx, forFailover)),
    enableAsMaster: (ctx, settings) => within([], () => replication.enableAsMaster(ctx, settings)),
    demoteReplicationMaster: (ctx) => within([], () => replication.makeReadOnly(ctx, true)),
    makeReadOnly: (ctx, readOnly) => within([], () => replication.makeReadOnly(ctx, readOnly)),
    getLastTxn: (ctx) => within([], () => lastTxn(ctx)),
    getLatestTxnId: (ctx) => within([], () => latestTxnId(ctx)),
    waitForTxn: (ctx, transactionId, timeoutSeconds) => within(['unavailable'], () => waitForTxn(ctx, transactionId, timeoutSeconds)),
  },
});
