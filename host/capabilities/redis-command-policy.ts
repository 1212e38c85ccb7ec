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
 * same commands to its user `berth`, server-config.ts).
 */

/** Refused whatever their arguments, and why. */
const REFUSED: Readonly<Record<string, string>> = {
  // Replication makes the server connect out to a host:port of the caller's choosing (and drop its data for the
  // source's). Replication (a later issue) needs REPLICAOF: it must come back as a scoped grant, naming the one
  // source a replica may follow, never as a general allowance.
  replicaof: 'it makes the server connect to another host (replication needs a scoped grant)',
  slaveof: 'it makes the server connect to another host (replication needs a scoped grant)',
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
 * at run time (it writes them into redis.conf); it sets allow-listed tuning
 * keys (datastores/redis/override-rules.ts) and appendonly.
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

const text = (arg: Uint8Array): string => Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength).toString('latin1');

/**
 * Why the command `args` (its name first) is refused, or undefined if it may
 * be sent. SHUTDOWN is allowed: the Redis manager stops its server with it.
 */
export function refusedRedisCommand(args: readonly Uint8Array[]): string | undefined {
  if (args.length === 0) return undefined;
  const name = text(args[0]!).toLowerCase();
  const why = Object.hasOwn(REFUSED, name) ? REFUSED[name] : undefined;
  if (why !== undefined) return `${name.toUpperCase()} is refused: ${why}`;
  if (name === 'config' && args.length > 1 && text(args[1]!).toLowerCase() === 'set') {
    // CONFIG SET name value [name value ...]
    for (let i = 2; i < args.length; i += 2) {
      const parameter = text(args[i]!).toLowerCase();
      if (REFUSED_CONFIG.has(parameter)) return `CONFIG SET ${parameter} is refused: it points the server at files, sockets or other hosts`;
    }
  }
  return undefined;
}
