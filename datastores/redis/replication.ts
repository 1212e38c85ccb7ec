import type { ReplicationSnapshot, TransactionPosition } from 'berth:datastore/replication@0.2.0';
import type { KeyValue } from 'berth:datastore/types@0.2.0';
import { ManagerError } from '../sdk/index.js';
import { command, info } from './admin-connection.js';
import type { RedisContext } from './options.js';
import {
  checkSource,
  readReplicationState,
  REPLICA_NAME,
  replicationInfo,
  setReadOnlyLive,
  setting,
  writeReplicationState,
} from './replication-state.js';
import { passwordRule } from './server-config.js';
import { waitFor } from './wait.js';

/**
 * Replication (wit/replication.wit, docs/replication.md): a replica follows
 * its primary over Redis's own link, seeded by the primary's full sync, so no
 * snapshot artifact is ever written or read. The primary gives each replica
 * an ACL user of its own that may only replicate; the replica keeps its role
 * in replication.conf (replication-state.ts) and sets it live with REPLICAOF,
 * which the host lets through only to the source attach-replica names.
 * Positions are replication offsets.
 */

/** What a replication user may run: the handshake (AUTH needs nothing), REPLCONF, PSYNC and the link's PINGs. */
const REPLICA_RULES = ['-@all', '+psync', '+replconf', '+ping'] as const;

export function backupRequiredForReplication(): boolean {
  return false;
}

function replicaName(settings: readonly KeyValue[]): string {
  const name = setting(settings, 'replica-name');
  if (name === undefined || !REPLICA_NAME.test(name)) throw ManagerError.invalidArgument('replica-name', 'must be berth_ and 32 hex digits');
  return name;
}

/** The replica's ACL user, with a fresh password each call (ACL SAVE: it survives a restart). */
export function getReplicationSnapshot(ctx: RedisContext, snapshotId: string, settings: readonly KeyValue[]): ReplicationSnapshot {
  const user = replicaName(settings);
  const here = replicationInfo(ctx);
  if (here.role !== 'master') throw ManagerError.failed('this server is a replica: a replica is attached to the primary, not to another replica');
  if (snapshotId !== '') ctx.log.info(`get-replication-snapshot: Redis seeds ${user} over its replication link; no artifact is written for ${snapshotId}`);
  const password = String(command(ctx, 'ACL', 'GENPASS', 256));
  command(ctx, 'ACL', 'SETUSER', user, 'reset', 'on', passwordRule(password), ...REPLICA_RULES);
  command(ctx, 'ACL', 'SAVE');
  const dataset = info(ctx, 'memory').get('used_memory_dataset') ?? '0';
  return {
    // empty: nothing to download, the replica syncs from its source
    snapshotId: '',
    logPosition: here.offset.toString(),
    source: { host: '', port: 0, user, password, extra: [] },
    datasetSize: /^\d+$/.test(dataset) ? BigInt(dataset) : 0n,
    extra: [],
  };
}

/** How long attach-replica waits for the link to come up and the first sync to end. */
const FIRST_SYNC_MS = 120_000;

/** Follow `snapshot.source` (read-only, as Redis replicas are); written to replication.conf first, then set live. */
export function attachReplica(ctx: RedisContext, snapshot: ReplicationSnapshot): void {
  const { host, port, user, password } = snapshot.source;
  const source = { host, port, user, password };
  checkSource(source);
  if (snapshot.snapshotId !== '') ctx.log.info(`attach-replica: Redis syncs from ${host}:${port}; the artifact ${snapshot.snapshotId} is not read`);
  writeReplicationState(ctx, { source, readOnly: false });
  command(ctx, 'CONFIG', 'SET', 'masteruser', user, 'masterauth', password, 'replica-read-only', 'yes');
  setReadOnlyLive(ctx, false);
  command(ctx, 'REPLICAOF', host, String(port));
  // answered once the first sync is done: a replica the server calls ACTIVE holds the source's data
  waitFor(
    FIRST_SYNC_MS,
    () => (info(ctx, 'replication').get('master_link_status') === 'up' ? true : undefined),
    () => ManagerError.failed(`the replica did not complete its first sync from ${host}:${port} within ${FIRST_SYNC_MS / 1000} s (its redis.log says why)`),
  );
}

function position(ctx: RedisContext): TransactionPosition {
  const here = replicationInfo(ctx);
  return { sourceId: here.replid, transactionId: here.offset.toString() };
}

/** Stop following: read-write standalone, or (for a failover) a primary that still refuses writes. */
export function detachReplica(ctx: RedisContext, forFailover: boolean): TransactionPosition {
  const here = replicationInfo(ctx);
  if (here.role !== 'slave') throw ManagerError.notFound('this server is not a replica');
  // read-only before it stops following: no write slips in between
  if (forFailover) setReadOnlyLive(ctx, true);
  writeReplicationState(ctx, { readOnly: forFailover });
  command(ctx, 'REPLICAOF', 'NO', 'ONE');
  if (!forFailover) setReadOnlyLive(ctx, false);
  return { sourceId: here.replid, transactionId: here.offset.toString() };
}

export function makeReadOnly(ctx: RedisContext, readOnly: boolean): void {
  writeReplicationState(ctx, { ...readReplicationState(ctx), readOnly });
  setReadOnlyLive(ctx, readOnly);
}

export function demoteReplicationMaster(ctx: RedisContext): void {
  makeReadOnly(ctx, true);
}

/** A read-write primary; the replication users of replicas `replicas` does not list are dropped. */
export function enableAsMaster(ctx: RedisContext, settings: readonly KeyValue[]): void {
  const listed = (setting(settings, 'replicas') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of listed) {
    if (!REPLICA_NAME.test(name)) throw ManagerError.invalidArgument('replicas', `"${name}" is not a replica name (berth_ and 32 hex digits)`);
  }
  writeReplicationState(ctx, { readOnly: false });
  if (replicationInfo(ctx).role === 'slave') command(ctx, 'REPLICAOF', 'NO', 'ONE');
  setReadOnlyLive(ctx, false);
  const users = command(ctx, 'ACL', 'USERS');
  const stale = (Array.isArray(users) ? users.map(String) : []).filter((name) => REPLICA_NAME.test(name) && !listed.includes(name));
  if (stale.length > 0) {
    command(ctx, 'ACL', 'DELUSER', ...stale);
    command(ctx, 'ACL', 'SAVE');
    ctx.log.info(`enable-as-master: dropped the replication users of ${stale.join(', ')}`);
  }
}

export function getLastTxn(ctx: RedisContext): TransactionPosition {
  return position(ctx);
}

export function getLatestTxnId(ctx: RedisContext): string {
  return replicationInfo(ctx).offset.toString();
}

/** Poll the applied offset until it reaches `transactionId`; `unavailable` when the time runs out. */
export function waitForTxn(ctx: RedisContext, transactionId: string, timeoutSeconds: number): void {
  if (!/^\d{1,20}$/.test(transactionId)) throw ManagerError.invalidArgument('transaction-id', 'must be a replication offset (a decimal integer)');
  const target = BigInt(transactionId);
  waitFor(
    timeoutSeconds * 1000,
    () => (replicationInfo(ctx).offset >= target ? true : undefined),
    () => ManagerError.unavailable(`replication offset ${replicationInfo(ctx).offset} has not reached ${transactionId} within ${timeoutSeconds} s`),
  );
}
