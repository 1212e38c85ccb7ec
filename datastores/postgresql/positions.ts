// Positions in the WAL as the contract wants them (decimal integers that grow along one stream:
// the LSN as a 64-bit number), and the timelines that tell whether a cluster can still follow a
// source or needs a re-seed.
import { ManagerError } from '../sdk/index.js';
import { paths, type PgContext } from './options.js';
import { query } from './sql.js';
import { isStandby } from './standby.js';

type KeyValue = { key: string; value: string };

/** "16/B374D848" as a number. */
export function lsnNumber(lsn: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!match) throw ManagerError.failed(`"${lsn}" is not an LSN`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function parsePosition(text: string, field = 'transaction-id'): bigint {
  if (!/^\d{1,20}$/.test(text)) throw ManagerError.invalidArgument(field, `"${text}" is not a decimal position`);
  return BigInt(text);
}

/** What this cluster has applied: the replayed WAL on a standby, the written WAL on a primary. */
export function appliedPosition(ctx: PgContext): bigint {
  const row = query(ctx, "SELECT (CASE WHEN pg_is_in_recovery() THEN coalesce(pg_last_wal_replay_lsn(), '0/0') ELSE pg_current_wal_lsn() END)::text AS lsn").rows[0]!;
  return lsnNumber(String(row.lsn));
}

/** How far this cluster's WAL reaches, received or replayed: what a new source must not be behind of. */
export function walEnd(ctx: PgContext): bigint {
  const row = query(ctx, "SELECT (CASE WHEN pg_is_in_recovery() THEN greatest(coalesce(pg_last_wal_replay_lsn(), '0/0'), coalesce(pg_last_wal_receive_lsn(), '0/0')) ELSE pg_current_wal_insert_lsn() END)::text AS lsn").rows[0]!;
  return lsnNumber(String(row.lsn));
}

/** The cluster's system identifier: every member of one replication family shares it. */
export function systemId(ctx: PgContext): string {
  return String(query(ctx, 'SELECT system_identifier::text AS id FROM pg_control_system()').rows[0]!.id);
}

/** This cluster's timeline: the WAL it writes on a primary; on a standby, the newest timeline of the WAL it holds. */
export function timeline(ctx: PgContext): number {
  if (!isStandby(ctx)) return parseInt(String(query(ctx, 'SELECT pg_walfile_name(pg_current_wal_lsn()) AS name').rows[0]!.name).slice(0, 8), 16);
  const segments = ctx.files
    .list(`${paths(ctx).data}/pg_wal`)
    .map((entry) => entry.name)
    .filter((name) => /^[0-9A-F]{24}(\.partial)?$/.test(name))
    .map((name) => parseInt(name.slice(0, 8), 16));
  const checkpoint = Number(query(ctx, 'SELECT timeline_id FROM pg_control_checkpoint()').rows[0]!.timeline_id);
  return Math.max(checkpoint, ...segments);
}

/** Where each ancestor timeline of `tli` ended: its history file (none for timeline 1). */
export function history(ctx: PgContext, tli: number): Map<number, bigint> {
  const switches = new Map<number, bigint>();
  const file = `${paths(ctx).data}/pg_wal/${tli.toString(16).toUpperCase().padStart(8, '0')}.history`;
  if (tli <= 1 || !ctx.files.exists(file)) return switches;
  for (const line of ctx.files.readText(file).split('\n')) {
    const match = /^\s*(\d+)\s+([0-9A-Fa-f]+\/[0-9A-Fa-f]+)/.exec(line);
    if (match) switches.set(Number(match[1]), lsnNumber(match[2]!));
  }
  return switches;
}

/** What get-replication-snapshot tells a replica about its source, for attach-replica's timeline check. */
export function timelineExtra(ctx: PgContext): KeyValue[] {
  const tli = timeline(ctx);
  const switches = [...history(ctx, tli)].map(([parent, end]) => `${parent}:${end}`).join(',');
  return [
    { key: 'timeline', value: String(tli) },
    { key: 'timeline-history', value: switches },
    { key: 'position', value: String(walEnd(ctx)) },
    { key: 'system-identifier', value: systemId(ctx) },
  ];
}

/**
 * Why this cluster cannot follow the source `extra` describes without a
 * re-seed, or undefined when it can: the source must hold this cluster's
 * history, up to where this cluster's WAL ends.
 */
export function divergence(ctx: PgContext, extra: readonly KeyValue[]): string | undefined {
  const value = (key: string) => extra.find((kv) => kv.key === key)?.value;
  const sourceTli = Number(value('timeline'));
  if (!Number.isInteger(sourceTli) || sourceTli < 1) return undefined;
  const sourceSystem = value('system-identifier');
  if (sourceSystem && sourceSystem !== systemId(ctx)) return 'the source is another cluster (system identifier differs)';
  const own = timeline(ctx);
  const end = walEnd(ctx);
  if (own === sourceTli) {
    const position = value('position');
    if (position && /^\d+$/.test(position) && end > BigInt(position)) return `this server's WAL (${end}) is ahead of its new source (${position}) on timeline ${own}`;
    return undefined;
  }
  const switches = new Map<number, bigint>();
  for (const entry of (value('timeline-history') ?? '').split(',')) {
    const match = /^(\d+):(\d+)$/.exec(entry);
    if (match) switches.set(Number(match[1]), BigInt(match[2]!));
  }
  const forkedAt = switches.get(own);
  if (forkedAt === undefined) return `timeline ${own} of this server is not in the history of the source's timeline ${sourceTli}`;
  if (end > forkedAt) return `this server's WAL (${end}) goes past where the source's timeline ${sourceTli} forked off timeline ${own} (${forkedAt})`;
  return undefined;
}
