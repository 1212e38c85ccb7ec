// Replication between guests of the MySQL family, with MariaDB's GTIDs: every
// instance keeps a binary log under a server_id of its own
// (replication-options.ts); a replica is seeded from the manager's backup of
// its primary and follows it from the backup's GTID position
// (MASTER_USE_GTID=slave_pos), read-only, as a replication-only account of
// its own. Positions are the sequence numbers of the domain's GTIDs
// (replication-position.ts).
import { CapabilityError, ManagerError } from '../sdk/index.js';
import { createBackup, restoreBackup, usesPhysical } from './backup.js';
import { LOGICAL_FORMAT } from './logical-backup.js';
import { paths, type MyContext } from './options.js';
import { dropReplicaAccounts, ensureReplicaAccount, listedReplicas, replicaOf, setting } from './replication-accounts.js';
import { ensureServerId, markReplica, setReadOnly } from './replication-options.js';
import { checkGtidPosition, currentPosition, lastTxn } from './replication-position.js';
import { installDatabase, isRunning, pause, start } from './server.js';
import { checkHost, checkUser, column, query, run } from './sql.js';

type KeyValue = { key: string; value: string };
interface Source {
  host: string;
  port: number;
  user: string;
  password: string;
  extra: KeyValue[];
}
interface Snapshot {
  snapshotId: string;
  logPosition: string;
  source: Source;
  datasetSize: bigint;
  extra: KeyValue[];
}

/** MariaDB's error when the source's binary log no longer holds (or never held) what the replica asks for. */
const ER_MASTER_FATAL_ERROR_READING_BINLOG = 1236;
/** How long attach-replica watches the new link for a refusal before it answers. */
const LINK_CHECK_MS = 10_000;

function requireRunning(ctx: MyContext): void {
  if (!isRunning(ctx)) throw ManagerError.unavailable('MariaDB is not running');
}

/**
 * A backup written to `id` and the GTID position it holds. mariabackup
 * records its copy's position itself; a dump is taken under FLUSH TABLES
 * WITH READ LOCK (writes wait until it ends), so the position read under
 * the lock is the dump's.
 */
function takeSnapshot(ctx: MyContext, id: string): { format: string; gtid: string; bytes: string } {
  if (usesPhysical(ctx)) {
    const taken = createBackup(ctx, { id });
    const meta = (key: string) => taken.metadata.find((kv) => kv.key === key)?.value ?? '';
    return { format: taken.format, gtid: meta('gtid'), bytes: meta('bytes') };
  }
  run('snapshot lock', () => query(ctx, 'FLUSH TABLES WITH READ LOCK'));
  try {
    const gtid = column(ctx, 'SELECT @@GLOBAL.gtid_binlog_pos AS p')[0] ?? '';
    const taken = createBackup(ctx, { id, strategy: 'MysqlDump' });
    return { format: taken.format, gtid, bytes: taken.metadata.find((kv) => kv.key === 'bytes')?.value ?? '0' };
  } finally {
    run('snapshot lock', () => query(ctx, 'UNLOCK TABLES'));
  }
}

export function getReplicationSnapshot(ctx: MyContext, snapshotId: string, settings: readonly KeyValue[]): Snapshot {
  const replica = replicaOf(settings);
  requireRunning(ctx);
  // an instance prepared before replication existed draws its server_id here
  ensureServerId(ctx);
  const password = ensureReplicaAccount(ctx, replica);
  const source: Source = { host: '', port: ctx.options.port, user: replica.name, password, extra: [] };
  if (snapshotId === '') {
    const { position } = currentPosition(ctx);
    return { snapshotId, logPosition: position, source, datasetSize: 0n, extra: [{ key: 'gtid', value: position }] };
  }
  const taken = takeSnapshot(ctx, snapshotId);
  return {
    snapshotId,
    logPosition: taken.gtid,
    source,
    datasetSize: BigInt(/^\d+$/.test(taken.bytes) ? taken.bytes : '0'),
    extra: [
      { key: 'format', value: taken.format },
      { key: 'gtid', value: taken.gtid },
    ],
  };
}

/** Replace this server's data with the snapshot, and forget its own binary log: a replica writes no GTIDs of its own. */
function seed(ctx: MyContext, snapshot: Snapshot): string {
  const format = setting(snapshot.extra, 'format') ?? '';
  const gtid = checkGtidPosition(snapshot.logPosition || (setting(snapshot.extra, 'gtid') ?? ''), 'log-position');
  if (format === LOGICAL_FORMAT) {
    // a dump loads into fresh system tables (the copy's accounts come with it)
    installDatabase(ctx);
    start(ctx, { adminInit: true });
  }
  restoreBackup(ctx, { id: snapshot.snapshotId, format });
  run('reset the binary log', () => query(ctx, 'RESET MASTER'));
  return gtid;
}

function checkSource(source: Source): Source {
  checkHost(source.host, 'source.host');
  checkUser(source.user, 'source.user');
  if (!Number.isInteger(source.port) || source.port < 1 || source.port > 65535) throw ManagerError.invalidArgument('source.port', `${source.port} is not a port`);
  if (source.password === '') throw ManagerError.invalidArgument('source.password', 'the replication account needs its password');
  return source;
}

type SlaveStatus = Record<string, unknown>;

function slaveStatus(ctx: MyContext): SlaveStatus | undefined {
  return run('SHOW SLAVE STATUS', () => query(ctx, 'SHOW SLAVE STATUS').rows[0]);
}

/** Watch the new link until it streams, the source refuses it, or LINK_CHECK_MS pass (it keeps retrying then). */
function checkLink(ctx: MyContext): void {
  const deadline = Date.now() + LINK_CHECK_MS;
  for (;;) {
    const status = slaveStatus(ctx);
    const ioErrno = Number(status?.Last_IO_Errno ?? 0);
    if (ioErrno === ER_MASTER_FATAL_ERROR_READING_BINLOG) {
      run('STOP SLAVE', () => query(ctx, 'STOP SLAVE'));
      throw ManagerError.invalidArgument('snapshot', `this server's data cannot follow the source without a new snapshot (diverged or purged binary log): ${String(status?.Last_IO_Error ?? '')}`);
    }
    const sqlErrno = Number(status?.Last_SQL_Errno ?? 0);
    if (sqlErrno !== 0) throw ManagerError.failed(`the replica cannot apply the source's transactions: ${String(status?.Last_SQL_Error ?? sqlErrno)}`);
    if (status?.Slave_IO_Running === 'Yes' && status?.Slave_SQL_Running === 'Yes' && ioErrno === 0) return;
    if (Date.now() >= deadline) {
      ctx.log.warn(`attach-replica: the link to the source is not up yet (${String(status?.Last_IO_Error ?? status?.Slave_IO_State ?? '')}); the server keeps retrying`);
      return;
    }
    pause(ctx, 200);
  }
}

/**
 * Seed from the snapshot (unless re-pointing), then follow `source` from the
 * snapshot's position (re-pointing: from where this server's data is),
 * read-only. The role lives in the volume: the slave threads start with
 * the server, and my.cnf says read-only.
 */
export function attachReplica(ctx: MyContext, snapshot: Snapshot, _settings: readonly KeyValue[]): void {
  const source = checkSource(snapshot.source);
  const gtid = snapshot.snapshotId !== '' ? seed(ctx, snapshot) : undefined;
  requireRunning(ctx);
  ensureServerId(ctx);
  setReadOnly(ctx, true);
  run('attach-replica', () => {
    query(ctx, 'STOP SLAVE');
    if (gtid !== undefined) query(ctx, 'SET GLOBAL gtid_slave_pos = ?', [gtid]);
    // re-pointing: from what this server applied or wrote last, whichever role it had
    else query(ctx, 'SET GLOBAL gtid_slave_pos = @@GLOBAL.gtid_current_pos');
    query(ctx, 'CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 2', [source.host, source.port, source.user, source.password]);
  });
  markReplica(ctx, true);
  run('START SLAVE', () => query(ctx, 'START SLAVE'));
  checkLink(ctx);
}

/** Stop receiving, apply what was received (10 s at most), then stop applying. */
function stopFollowing(ctx: MyContext): void {
  run('STOP SLAVE IO_THREAD', () => query(ctx, 'STOP SLAVE IO_THREAD'));
  const received = String(slaveStatus(ctx)?.Gtid_IO_Pos ?? '');
  if (received !== '') {
    try {
      query(ctx, 'SELECT MASTER_GTID_WAIT(?, 10) AS done', [received]);
    } catch (error) {
      if (!(error instanceof CapabilityError && error.value.tag === 'database')) throw error;
    }
  }
  run('STOP SLAVE', () => query(ctx, 'STOP SLAVE'));
}

function forgetSource(ctx: MyContext): void {
  run('RESET SLAVE ALL', () => query(ctx, 'RESET SLAVE ALL'));
  markReplica(ctx, false);
}

export function detachReplica(ctx: MyContext, forFailover: boolean): { sourceId: string; transactionId: string } {
  requireRunning(ctx);
  if (slaveStatus(ctx) === undefined && !ctx.files.exists(paths(ctx).replica)) throw ManagerError.notFound('replication: this server follows no source');
  stopFollowing(ctx);
  const position = lastTxn(ctx);
  forgetSource(ctx);
  if (!forFailover) setReadOnly(ctx, false);
  return position;
}

/** A read-write primary serving exactly the replicas listed: no source of its own, no other replica's account. */
export function enableAsMaster(ctx: MyContext, settings: readonly KeyValue[]): void {
  const keep = listedReplicas(settings);
  requireRunning(ctx);
  if (slaveStatus(ctx) !== undefined) stopFollowing(ctx);
  forgetSource(ctx);
  dropReplicaAccounts(ctx, keep);
  setReadOnly(ctx, false);
}

export function makeReadOnly(ctx: MyContext, readOnly: boolean): void {
  requireRunning(ctx);
  setReadOnly(ctx, readOnly);
}
