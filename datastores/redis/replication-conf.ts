import { ManagerError } from '../sdk/errors.js';
import { splitArguments } from './config-text.js';

/**
 * The replication role as redis-server reads it at start: replication.conf,
 * included last from redis.conf (server-config.ts), so the role survives a
 * restart of redis-server and of the guest. The manager alone writes it, from
 * this state; nothing the server or a user configures reaches it.
 */
export interface ReplicationState {
  /** The primary this server follows (replicaof, masteruser, masterauth). */
  source?: { host: string; port: number; user: string; password: string };
  /** A primary refusing writes (detach for a failover, demote, make-read-only). */
  readOnly: boolean;
}

/** As many replicas as no server will ever have: a primary asking for them refuses every write (NOREPLICAS). */
export const READ_ONLY_REPLICAS = 2147483647;

export const REPLICATION_HEADER = '# The replication role, written by berth-redis (attach-replica, detach-replica, enable-as-master, make-read-only).';

/** A replica's name from the server: `berth_` and 32 hex digits; it names the replica's ACL user on the primary. */
export const REPLICA_NAME = /^berth_[0-9a-f]{32}$/;

const HOST = /^[A-Za-z0-9.:_-]{1,253}$/;
/** ACL GENPASS's hex, or anything printable that needs no quoting in a config line. */
const PASSWORD = /^[!#-&(-[\]-~]{1,512}$/;

export function renderReplicationConf(state: ReplicationState): string {
  const lines = [REPLICATION_HEADER];
  if (state.source) {
    const { host, port, user, password } = state.source;
    lines.push(`replicaof ${host} ${port}`, `masteruser ${user}`, `masterauth ${password}`, 'replica-read-only yes');
  }
  if (state.readOnly) lines.push(`min-replicas-to-write ${READ_ONLY_REPLICAS}`);
  return `${lines.join('\n')}\n`;
}

export function parseReplicationConf(text: string): ReplicationState {
  const words = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const [key, ...rest] = splitArguments(line) ?? [];
    if (key !== undefined) words.set(key.toLowerCase(), rest);
  }
  const [host, port] = words.get('replicaof') ?? [];
  const user = words.get('masteruser')?.[0];
  const password = words.get('masterauth')?.[0];
  const source = host && port && user && password ? { host, port: Number(port), user, password } : undefined;
  return { ...(source ? { source } : {}), readOnly: words.get('min-replicas-to-write')?.[0] === String(READ_ONLY_REPLICAS) };
}

/** A source the server names, checked before it reaches a config line (no spaces, quotes or newlines). */
export function checkSource(source: { host: string; port: number; user: string; password: string }): void {
  if (!HOST.test(source.host)) throw ManagerError.invalidArgument('source.host', 'must be a host name or an IP address');
  if (!Number.isInteger(source.port) || source.port < 1 || source.port > 65535) throw ManagerError.invalidArgument('source.port', 'must be 1-65535');
  if (!REPLICA_NAME.test(source.user)) throw ManagerError.invalidArgument('source.user', 'must be the replication user get-replication-snapshot created (berth_ and 32 hex digits)');
  if (!PASSWORD.test(source.password)) throw ManagerError.invalidArgument('source.password', 'must be the password get-replication-snapshot gave');
}

