import type { KeyValue } from 'berth:datastore/types@0.2.0';
import { ManagerError } from '../sdk/index.js';
import { command, info } from './admin-connection.js';
import { layoutOf } from './layout.js';
import type { RedisContext } from './options.js';
import { parseReplicationConf, READ_ONLY_REPLICAS, renderReplicationConf, type ReplicationState } from './replication-conf.js';

export { checkSource, REPLICA_NAME } from './replication-conf.js';

export function readReplicationState(ctx: RedisContext): ReplicationState {
  const path = layoutOf(ctx).replication;
  return ctx.files.exists(path) ? parseReplicationConf(ctx.files.readText(path)) : { readOnly: false };
}

export function writeReplicationState(ctx: RedisContext, state: ReplicationState): void {
  ctx.files.writeText(layoutOf(ctx).replication, renderReplicationConf(state));
}

/** Refuse (or accept again) client writes now; the file keeps it for the next start. */
export function setReadOnlyLive(ctx: RedisContext, readOnly: boolean): void {
  command(ctx, 'CONFIG', 'SET', 'min-replicas-to-write', String(readOnly ? READ_ONLY_REPLICAS : 0));
}

export function setting(settings: readonly KeyValue[], key: string): string | undefined {
  return settings.find((kv) => kv.key === key)?.value;
}

/** What INFO replication says of this server's place in its stream. */
export interface ReplicationInfo {
  role: 'master' | 'slave';
  /** The replication id of the stream (a replica: its primary's). */
  replid: string;
  /** On a primary its latest write's offset; on a replica the offset it has applied. */
  offset: bigint;
}

export function replicationInfo(ctx: RedisContext): ReplicationInfo {
  const fields = info(ctx, 'replication');
  const role = fields.get('role') === 'slave' ? 'slave' : 'master';
  const offsetText = (role === 'slave' ? fields.get('slave_repl_offset') : undefined) ?? fields.get('master_repl_offset') ?? '0';
  if (!/^-?\d+$/.test(offsetText)) throw ManagerError.failed(`INFO replication gave an offset that is not a number: ${offsetText}`);
  // a replica that has not synced yet says -1
  const offset = BigInt(offsetText) < 0n ? 0n : BigInt(offsetText);
  return { role, replid: fields.get('master_replid') ?? '', offset };
}
