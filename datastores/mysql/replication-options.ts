import { ManagerError } from '../sdk/index.js';
import { paths, type MyContext } from './options.js';
import { column, query, run } from './sql.js';

/** server_id's range (0 would refuse replication). */
const SERVER_ID = /^[1-9][0-9]{0,9}$/;
const MAX_SERVER_ID = 4294967295;

/** The persisted server_id, if prepare has drawn one. */
export function serverId(ctx: MyContext): number | undefined {
  const file = paths(ctx).serverId;
  if (!ctx.files.exists(file)) return undefined;
  const text = ctx.files.readText(file).trim();
  const value = Number(text);
  if (!SERVER_ID.test(text) || value > MAX_SERVER_ID) throw ManagerError.failed(`${file} holds ${JSON.stringify(text.slice(0, 20))}, not a server_id`);
  return value;
}

/**
 * The binary log's defaults, before the configuration and the overrides:
 * kept a week (MariaDB keeps it for ever otherwise, until the volume is
 * full); a replica left behind longer is re-seeded (attach-replica answers
 * invalid-argument once its source has purged what it needs).
 */
export const REPLICATION_DEFAULTS = '# Written by the Berth MySQL manager; a configuration or an override may change it.\n[mysqld]\nbinlog_expire_logs_seconds = 604800\n';

/**
 * The lines of my.cnf that make every instance able to replicate, after the
 * includes so no configuration can turn them off: a binary log with GTIDs
 * (row-based, and with what a replica applies, so a promoted replica serves
 * every transaction to the others), a server_id of its own, and the role:
 * read-only while the marker says so, slave threads started with the server
 * only on a replica.
 */
export function replicationConf(ctx: MyContext): string[] {
  const p = paths(ctx);
  const id = serverId(ctx);
  return [
    ...(id === undefined ? [] : [`server-id = ${id}`]),
    'log-bin = mysql-bin',
    'log-slave-updates = ON',
    'binlog-format = ROW',
    // row-based logging records a routine's or trigger's effects, not its call: clients without SUPER may still create them
    'log-bin-trust-function-creators = ON',
    'relay-log = relay-bin',
    ...(ctx.files.exists(p.readOnly) ? ['read-only = ON'] : []),
    ...(ctx.files.exists(p.replica) ? [] : ['skip-slave-start']),
  ];
}

/**
 * Draw this instance's server_id once (the component has no entropy source
 * to vouch for: the server's RANDOM_BYTES does), keep it in the volume and
 * set it live; my.cnf carries it from the next start on. A guest restored
 * from another's backup draws its own: the id belongs to the volume, not the data.
 */
export function ensureServerId(ctx: MyContext): void {
  if (serverId(ctx) !== undefined) return;
  const drawn = Number(column(ctx, 'SELECT CONV(HEX(RANDOM_BYTES(4)), 16, 10) AS id')[0]);
  const id = (drawn % (MAX_SERVER_ID - 1)) + 2;
  run('server_id', () => query(ctx, `SET GLOBAL server_id = ${id}`));
  ctx.files.writeText(paths(ctx).serverId, `${id}\n`);
}

/** Mark (or unmark) the instance read-only in my.cnf and set it live. */
export function setReadOnly(ctx: MyContext, readOnly: boolean): void {
  const file = paths(ctx).readOnly;
  if (readOnly) ctx.files.writeText(file, 'clients may not write: my.cnf says read-only\n');
  else if (ctx.files.exists(file)) ctx.files.remove(file);
  run('read_only', () => query(ctx, `SET GLOBAL read_only = ${readOnly ? 'ON' : 'OFF'}`));
}

/** Mark (or unmark) the instance as a replica: its slave threads start with the server. */
export function markReplica(ctx: MyContext, replica: boolean): void {
  const file = paths(ctx).replica;
  if (replica) ctx.files.writeText(file, 'follows a source: the slave threads start with the server\n');
  else if (ctx.files.exists(file)) ctx.files.remove(file);
}
