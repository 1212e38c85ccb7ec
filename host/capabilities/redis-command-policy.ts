/**
 * Commands a manager may not send through a granted Redis connection, checked
 * by the host before anything reaches the server (finding 6). A Redis
 * connection lets its holder read and write data and administer the server it
 * names; it must not make that server dial somewhere else, hand its data or
 * its connection to a third party, or load code. The capability sends one
 * command per call (MULTI queues each command through its own call), so every
 * command, inside a transaction or not, passes here. Names are matched
 * case-insensitively, as Redis does.
 *
 * Not seen here: commands a Lua script or function runs (EVAL, FCALL). Those
 * are bounded by the ACL user the grant names (the Redis manager denies these
 * same commands to its user `berth`, server-config.ts; REPLICAOF, SLAVEOF and
 * FAILOVER Redis runs from no script, as they are flagged noscript).
 */

/** Refused whatever their arguments, and why (REPLICAOF and SLAVEOF: see replicationRefusal). */
const REFUSED: Readonly<Record<string, string>> = {
  // MIGRATE connects to a host:port of the caller's choosing and moves keys there.
  migrate: 'it makes the server connect to another host and send it keys',
  // FAILOVER hands the primary role to a replica and turns this server into a replica of it.
  failover: 'it makes the server follow another host',
  // CLUSTER MEET and friends connect the server to other nodes and change whose data it serves.
  cluster: 'it makes the server connect to other nodes',
  // SYNC/PSYNC turn the connection into a replication stream (a full copy of the data, then every write);
  // MONITOR into a stream of every command every client sends, credentials (AUTH) included. Either also
  // takes the connection away from the request/reply shape the capability answers in.
  sync: 'it turns the connection into a replication stream',
  psync: 'it turns the connection into a replication stream',
  monitor: "it turns the connection into a stream of every client's commands",
  // MODULE LOAD runs native code in the server's process.
  module: 'it loads native code into the server',
  // DEBUG can crash the server, stall it, or rewrite its data (DEBUG RELOAD, DEBUG OBJECT, DEBUG SEGFAULT...).
  debug: 'it can crash or corrupt the server',
};

/**
 * CONFIG SET parameters that point the server at files, sockets or other
 * hosts: where it writes (dir, dbfilename, logfile, the append-only file),
 * whom it follows and with what credentials (replicaof, masterauth), what it
 * loads (include, loadmodule, aclfile). The Redis manager sets none of them
 * at run time (it writes them into redis.conf) but masteruser and masterauth,
 * which a replica sends its source: those only while a source is granted.
 * It sets allow-listed tuning keys (datastores/redis/override-rules.ts),
 * appendonly, and min-replicas-to-write and replica-read-only (replication).
 */
const REFUSED_CONFIG = new Set([
  'dir',
  'dbfilename',
  'logfile',
  'appendfilename',
  'appenddirname',
  'replicaof',
  'slaveof',
  'masterauth',
  'masteruser',
  'unixsocket',
  'aclfile',
  'include',
  'loadmodule',
]);

/** CONFIG SET parameters allowed only while a replication source is granted: the credentials a replica sends it. */
const SOURCE_CONFIG = new Set(['masteruser', 'masterauth']);

/**
 * The one source a replica may follow: the source of the latest attach-replica
 * the server sent this guest (host/sandbox/worker.ts records it).
 */
export interface ReplicationSource {
  host: string;
  port: number;
}

const text = (arg: Uint8Array): string => Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength).toString('latin1');

/**
 * REPLICAOF/SLAVEOF makes the server connect out to a host:port (and drop its
 * data for the source's): allowed as NO ONE (stop following), and as the
 * granted source, spelt exactly as the server named it; refused otherwise.
 */
function replicationRefusal(name: string, args: readonly Uint8Array[], source: ReplicationSource | undefined): string | undefined {
  const words = args.slice(1).map(text);
  if (words.length === 2 && words[0]!.toLowerCase() === 'no' && words[1]!.toLowerCase() === 'one') return undefined;
  const upper = name.toUpperCase();
  if (source === undefined) return `${upper} is refused: it makes the server connect to another host, and no attach-replica named a source`;
  if (words.length === 2 && words[0]!.toLowerCase() === source.host.toLowerCase() && words[1] === String(source.port)) return undefined;
  return `${upper} is refused: it makes the server connect to another host; only ${source.host} ${source.port}, the source attach-replica named, or NO ONE`;
}

/**
 * Why the command `args` (its name first) is refused, or undefined if it may
 * be sent. SHUTDOWN is allowed: the Redis manager stops its server with it.
 * `source`: the replication source granted now, if any.
 */
export function refusedRedisCommand(args: readonly Uint8Array[], source?: ReplicationSource): string | undefined {
  if (args.length === 0) return undefined;
  const name = text(args[0]!).toLowerCase();
  if (name === 'replicaof' || name === 'slaveof') return replicationRefusal(name, args, source);
  const why = Object.hasOwn(REFUSED, name) ? REFUSED[name] : undefined;
  if (why !== undefined) return `${name.toUpperCase()} is refused: ${why}`;
  if (name === 'config' && args.length > 1 && text(args[1]!).toLowerCase() === 'set') {
    // CONFIG SET name value [name value ...]
    for (let i = 2; i < args.length; i += 2) {
      const parameter = text(args[i]!).toLowerCase();
      if (source !== undefined && SOURCE_CONFIG.has(parameter)) continue;
      if (REFUSED_CONFIG.has(parameter)) return `CONFIG SET ${parameter} is refused: it points the server at files, sockets or other hosts`;
    }
  }
  return undefined;
}
