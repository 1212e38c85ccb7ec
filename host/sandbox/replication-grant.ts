import type { ReplicationSource } from '../capabilities/redis-command-policy.js';
import { fieldsOf } from '../validation/fields-of.js';

/** What a call does to the replication grant the host keeps (replication-source.ts) and sends with every call. */
export type ReplicationGrantChange = { grant: ReplicationSource | undefined } | undefined;


/**
 * The server's calls decide which host a manager may make its datastore
 * follow (REPLICAOF, redis-command-policy.ts; redis-server's --replicaof,
 * exec-arguments.ts), never the manager: an attach-replica
 * grants its snapshot's source (a source without a host or a port grants
 * none), detach-replica and enable-as-master take the grant back (stopping is
 * REPLICAOF NO ONE, always allowed), and every other call leaves it as it is
 * (undefined).
 */
export function replicationGrantChange(iface: string, fn: string, args: readonly unknown[]): ReplicationGrantChange {
  if (iface !== 'replication') return undefined;
  if (fn === 'detachReplica' || fn === 'enableAsMaster') return { grant: undefined };
  if (fn !== 'attachReplica') return undefined;
  const source = fieldsOf(fieldsOf(args[0])?.source);
  const host = source?.host;
  const port = source?.port;
  if (typeof host !== 'string' || host === '' || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return { grant: undefined };
  return { grant: { host, port } };
}
