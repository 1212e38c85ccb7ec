import { utf8 } from '../sdk/utf8.js';
import type { RedisOptions } from './options.js';
import { sha256Hex } from './sha256.js';

export const ADMIN_USER = 'berth';
/** Redis's own user: what requirepass protects, and what "root" means for Redis. */
export const ROOT_USER = 'default';

/**
 * redis.conf, rendered from the options at every start so that it always
 * matches the grant (port). redis-server runs with the mount point as its
 * working directory and `dir` moves it into data/, so every later path is
 * relative to data/: that holds whichever host directory the mount point is
 * granted from. Keys the manager owns come after configuration.conf; the
 * files it includes may only hold allow-listed keys (override-rules.ts).
 */
export function renderServerConfig(options: RedisOptions): string {
  return [
    '# Rendered by berth-redis at every start: edits here are lost.',
    '# Settings belong in configuration.conf and overrides.conf; users in users.acl.',
    'dir data',
    'appendonly no',
    // a replica's first sync starts at once (Redis waits 5 s for more replicas by default); a configuration group may change it
    'repl-diskless-sync-delay 0',
    'include ../sizing.conf',
    'include ../configuration.conf',
    `port ${options.port}`,
    'bind 127.0.0.1',
    'protected-mode yes',
    'daemonize yes',
    'pidfile ../redis.pid',
    'logfile ../redis.log',
    'aclfile ../users.acl',
    'dbfilename dump.rdb',
    // root (the default user) has +@all: it still must not move files, load code or debug the server
    'enable-protected-configs no',
    'enable-module-command no',
    'enable-debug-command no',
    'include ../overrides.conf',
    // last: the role attach-replica set (replication-state.ts) wins over anything before it
    'include ../replication.conf',
    '',
  ].join('\n');
}

/** An ACL rule setting a password by its hash, so no plaintext reaches the file or the command line. */
export function passwordRule(password: string): string {
  return `#${sha256Hex(utf8.encode(password))}`;
}

/**
 * Commands the manager's own user may not run, behind the host's refusal of
 * the same commands on the granted connection (host/capabilities/
 * redis-command-policy.ts): they make the server dial other hosts (REPLICAOF,
 * SLAVEOF, MIGRATE, FAILOVER, CLUSTER), take the connection over (SYNC, PSYNC,
 * MONITOR) or load code and debug the server (MODULE, DEBUG). The ACL also
 * holds inside Lua scripts and functions, which the host does not look into.
 * The manager needs none of them (SHUTDOWN it does need) but REPLICAOF, which
 * replication needs (replication.ts): the host lets it through only as
 * REPLICAOF NO ONE or to the source of the latest attach-replica, and Redis
 * runs it from no script (it is flagged noscript).
 */
export const ADMIN_DENIED_COMMANDS = ['slaveof', 'migrate', 'failover', 'cluster', 'sync', 'psync', 'monitor', 'module', 'debug'] as const;

/** users.acl as prepare writes it; ACL SAVE rewrites it after root changes. */
export function renderUsers(adminPassword: string, rootPassword: string | undefined): string {
  const root = rootPassword === undefined ? 'nopass' : passwordRule(rootPassword);
  const denied = ADMIN_DENIED_COMMANDS.map((name) => `-${name}`).join(' ');
  return [`user ${ADMIN_USER} on ${passwordRule(adminPassword)} ~* &* +@all ${denied}`, `user ${ROOT_USER} on ${root} ~* &* +@all`, ''].join('\n');
}
