// The files that make a cluster a standby or read-only, and the pg_hba.conf lines that let its
// replicas in. Written by the manager into the data directory; read last from postgresql.conf
// (server.ts, ROLE_FILES), so no configuration group outweighs them.
import { paths, type PgContext } from './options.js';
import { conninfoValue, confString, type Upstream } from './replica-settings.js';
import { ensureRoleIncludes } from './server.js';
import { ident, query } from './sql.js';

const standbyConf = (ctx: PgContext) => `${paths(ctx).data}/berth-standby.conf`;
const readOnlyConf = (ctx: PgContext) => `${paths(ctx).data}/berth-read-only.conf`;
const standbySignal = (ctx: PgContext) => `${paths(ctx).data}/standby.signal`;
const hbaFile = (ctx: PgContext) => `${paths(ctx).data}/pg_hba.conf`;
/** Ends every pg_hba.conf line the manager keeps for a replica. */
const HBA_MARK = '# berth-replica';

export function isStandby(ctx: PgContext): boolean {
  return query(ctx, 'SELECT pg_is_in_recovery()::text AS standby').rows[0]!.standby === 'true';
}

/**
 * A standby at its next start: standby.signal, and the source it streams from
 * through its slot, or none (a demoted primary, a replica detached for a
 * failover): read-only, in recovery, waiting to be pointed somewhere.
 */
export function writeStandby(ctx: PgContext, upstream: { source: Upstream; slot: string; application: string } | undefined): void {
  ensureRoleIncludes(ctx);
  const lines = ['# Written by the Berth PostgreSQL manager: this cluster is a standby (attach-replica, demote-replication-master).'];
  if (upstream) {
    const { source } = upstream;
    const conninfo = [`host=${conninfoValue(source.host)}`, `port=${source.port}`, `user=${conninfoValue(source.user)}`, `password=${conninfoValue(source.password)}`, `application_name=${conninfoValue(upstream.application)}`].join(' ');
    lines.push(`primary_conninfo = ${confString(conninfo)}`, `primary_slot_name = ${confString(upstream.slot)}`);
  }
  lines.push("recovery_target_timeline = 'latest'", 'hot_standby = on', '');
  ctx.files.writeText(standbyConf(ctx), lines.join('\n'));
  ctx.files.writeText(standbySignal(ctx), '');
}

/** A primary again (after pg_promote, which removes standby.signal itself): no source, no password left on disk. */
export function clearStandby(ctx: PgContext): void {
  if (ctx.files.exists(standbyConf(ctx))) ctx.files.writeText(standbyConf(ctx), '');
  if (ctx.files.exists(standbySignal(ctx))) ctx.files.remove(standbySignal(ctx));
}

/**
 * default_transaction_read_only for every new transaction, at the next reload.
 * Its limit: a client may still SET it off for its own session or BEGIN READ
 * WRITE (docs/replication.md); demote-replication-master is the robust way.
 */
export function writeReadOnly(ctx: PgContext, readOnly: boolean): void {
  ensureRoleIncludes(ctx);
  ctx.files.writeText(readOnlyConf(ctx), readOnly ? '# Written by the Berth PostgreSQL manager (make-read-only).\ndefault_transaction_read_only = on\n' : '');
}

export function reload(ctx: PgContext): void {
  query(ctx, 'SELECT pg_reload_conf()');
}

function hbaLines(ctx: PgContext): string[] {
  return ctx.files.readText(hbaFile(ctx)).split('\n');
}

/** The replica names pg_hba.conf lets in. */
export function hbaReplicas(ctx: PgContext): string[] {
  const names = new Set<string>();
  for (const line of hbaLines(ctx)) {
    const match = /^host\s+\S+\s+"(berth_[0-9a-f]{32})"\s.*# berth-replica$/.exec(line);
    if (match) names.add(match[1]!);
  }
  return [...names];
}

/**
 * The replica's role may open a replication connection from its one address
 * and nothing else: its lines come first, so the `host all all` lines below
 * never let it into a database.
 */
export function allowReplica(ctx: PgContext, name: string, cidr: string): void {
  const role = ident(name, 'replica-name');
  const others = hbaLines(ctx).filter((line) => !line.includes(`${role} `) || !line.endsWith(HBA_MARK));
  const own = [`host replication ${role} ${cidr} scram-sha-256 ${HBA_MARK}`, `host all ${role} all reject ${HBA_MARK}`];
  const [header, ...rest] = others[0]?.startsWith('#') ? others : ['', ...others];
  ctx.files.writeText(hbaFile(ctx), [header, ...own, ...rest].join('\n'));
}

export function forgetReplica(ctx: PgContext, name: string): void {
  const role = ident(name, 'replica-name');
  ctx.files.writeText(hbaFile(ctx), hbaLines(ctx).filter((line) => !(line.includes(`${role} `) && line.endsWith(HBA_MARK))).join('\n'));
}
