// Streaming replication (wit/replication.wit, docs/replication.md): one physical slot and one
// REPLICATION role per replica, both named by its replica-name, made by the bootstrap
// superuser's berth.create_replica (server/registry/postgresql-bootstrap.ts); a replica is
// seeded from the manager's own base backup and follows through standby.signal and
// berth-standby.conf (standby.ts).
import { CapabilityError, ManagerError } from '../sdk/index.js';
import type { ReplicationSnapshot } from 'berth:datastore/replication@0.2.0';
import { createBackup, unpackBase } from './backup.js';
import type { PgContext } from './options.js';
import { appliedPosition, divergence, lsnNumber, parsePosition, systemId, timelineExtra, walEnd } from './positions.js';
import { checkUpstream, REPLICA_NAME, replicaCidr, replicaList, replicaName } from './replica-settings.js';
import { isRunning, restart, start, stop } from './server.js';
import { query } from './sql.js';
import { allowReplica, clearStandby, forgetReplica, hbaReplicas, isStandby, reload, writeReadOnly, writeStandby } from './standby.js';

type KeyValue = { key: string; value: string };

function running(ctx: PgContext): void {
  if (!isRunning(ctx)) throw ManagerError.unavailable('PostgreSQL is not running');
}

/** A refusal of the bootstrap functions (a role of that name that is no replica's) is the caller's to hear as denied. */
function asReplicationError(error: unknown, what: string): unknown {
  if (!(error instanceof CapabilityError) || error.value.tag !== 'database') return error;
  if (error.code === '42501') return ManagerError.denied(`${what}: ${error.message}`);
  if (error.code === '25006') return ManagerError.failed(`${what}: this server is a standby (read-only)`);
  return ManagerError.failed(`${what}: ${error.message}`);
}

/** 244 bits from pg_strong_random (gen_random_uuid): the sandbox has no entropy source of its own. */
function randomPassword(ctx: PgContext): string {
  return String(query(ctx, "SELECT encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')), 'hex') AS password").rows[0]!.password);
}

export function getReplicationSnapshot(ctx: PgContext, snapshotId: string, settings: KeyValue[]): ReplicationSnapshot {
  const name = replicaName(settings);
  const cidr = replicaCidr(settings);
  running(ctx);
  if (isStandby(ctx)) throw ManagerError.failed('this server is a standby: only a primary serves replicas');
  const password = randomPassword(ctx);
  // the slot exists before the backup starts, so the primary keeps every WAL segment the replica will ask for
  try {
    query(ctx, 'SELECT berth.create_replica($1, $2)', [name, password]);
  } catch (error) {
    throw asReplicationError(error, `replica ${name}`);
  }
  allowReplica(ctx, name, cidr);
  reload(ctx);
  let logPosition = String(walEnd(ctx));
  let datasetSize = 0n;
  if (snapshotId !== '') {
    const backup = createBackup(ctx, snapshotId);
    const meta = (key: string) => backup.metadata.find((kv) => kv.key === key)?.value ?? '';
    logPosition = String(lsnNumber(meta('stop_lsn')));
    datasetSize = BigInt(meta('bytes') || '0');
  }
  return {
    snapshotId,
    logPosition,
    source: { host: '', port: 0, user: name, password, extra: [{ key: 'slot', value: name }] },
    datasetSize,
    extra: timelineExtra(ctx),
  };
}

/** Stop as a primary and start again as a standby with no source: in recovery, so nothing can write. */
function demoteInPlace(ctx: PgContext): void {
  stop(ctx);
  writeStandby(ctx, undefined);
  writeReadOnly(ctx, false);
  start(ctx);
}

export function attachReplica(ctx: PgContext, snapshot: ReplicationSnapshot, settings: KeyValue[]): void {
  const slot = replicaName(settings);
  const source = checkUpstream(snapshot.source);
  if (snapshot.snapshotId !== '') {
    unpackBase(ctx, snapshot.snapshotId);
  } else {
    // re-pointing: the data is here already, and must be able to follow the new source's timeline
    if (!isRunning(ctx)) start(ctx);
    if (!isStandby(ctx)) demoteInPlace(ctx);
    const why = divergence(ctx, snapshot.extra);
    if (why) throw ManagerError.invalidArgument('snapshot', `re-seed needed: ${why}`);
    stop(ctx);
  }
  writeStandby(ctx, { source, slot, application: slot });
  writeReadOnly(ctx, false);
  start(ctx);
}

function promote(ctx: PgContext): void {
  const done = query(ctx, 'SELECT pg_promote(true, 60)::text AS done').rows[0]!.done;
  if (done !== 'true') throw ManagerError.failed('pg_promote did not finish within 60 seconds');
  clearStandby(ctx);
  reload(ctx);
}

export function detachReplica(ctx: PgContext, forFailover: boolean) {
  running(ctx);
  if (!isStandby(ctx)) throw ManagerError.notFound('replication: this server is not a replica');
  const position = appliedPosition(ctx);
  if (forFailover) {
    // no source, still in recovery: read-only until enable-as-master
    writeStandby(ctx, undefined);
    restart(ctx);
  } else promote(ctx);
  return { sourceId: systemId(ctx), transactionId: String(position) };
}

export function makeReadOnly(ctx: PgContext, readOnly: boolean): void {
  running(ctx);
  writeReadOnly(ctx, readOnly);
  reload(ctx);
}

/** Every replica this primary knows of: its slots, its replication roles, its pg_hba.conf lines. */
function knownReplicas(ctx: PgContext): Set<string> {
  const names = new Set(hbaReplicas(ctx));
  for (const row of query(ctx, "SELECT slot_name AS name FROM pg_replication_slots WHERE slot_type = 'physical'").rows) names.add(String(row.name));
  for (const row of query(ctx, 'SELECT rolname AS name FROM pg_roles WHERE rolreplication AND NOT rolsuper').rows) names.add(String(row.name));
  return new Set([...names].filter((name) => REPLICA_NAME.test(name)));
}

export function enableAsMaster(ctx: PgContext, settings: KeyValue[]): void {
  const keep = new Set(replicaList(settings));
  running(ctx);
  if (isStandby(ctx)) promote(ctx);
  else clearStandby(ctx);
  writeReadOnly(ctx, false);
  for (const name of knownReplicas(ctx)) {
    if (keep.has(name)) continue;
    try {
      query(ctx, 'SELECT berth.drop_replica($1)', [name]);
    } catch (error) {
      throw asReplicationError(error, `replica ${name}`);
    }
    forgetReplica(ctx, name);
  }
  reload(ctx);
}

export function demoteReplicationMaster(ctx: PgContext): void {
  running(ctx);
  if (!isStandby(ctx)) demoteInPlace(ctx);
}

export function getLastTxn(ctx: PgContext) {
  running(ctx);
  return { sourceId: systemId(ctx), transactionId: String(appliedPosition(ctx)) };
}

export function getLatestTxnId(ctx: PgContext): string {
  running(ctx);
  return String(appliedPosition(ctx));
}

/** Polls five times a second, sleeping in the server (pg_sleep): the sandbox has no clock to wait on. */
export function waitForTxn(ctx: PgContext, transactionId: string, timeoutSeconds: number): void {
  const target = parsePosition(transactionId);
  running(ctx);
  for (let polls = 0; ; polls++) {
    if (appliedPosition(ctx) >= target) return;
    if (polls >= timeoutSeconds * 5) throw ManagerError.unavailable(`position ${transactionId} not applied within ${timeoutSeconds} s`);
    query(ctx, 'SELECT pg_sleep(0.2)');
  }
}
