import type { RedisContext } from './options.js';

/**
 * Where everything lives under the mount point, as guest paths for the files
 * capability. redis-server itself sees these through the paths relative to
 * the mount point that redis.conf uses (see server-config.ts), because the
 * host maps a guest path to a host path only for a program's working directory.
 */
export interface Layout {
  mountPoint: string;
  /** Rendered from the options at every start. */
  serverConfig: string;
  /** maxmemory from prepare's memory-mb, read before the configuration and the overrides. */
  sizing: string;
  /** The configuration the server handed over (prepare, reset-configuration, start-db-with-conf-changes). */
  configuration: string;
  /** Configuration overrides (update-overrides), read last. */
  overrides: string;
  /** The replication role (replication-state.ts), read last. */
  replication: string;
  /** ACL users: the manager's `berth` and Redis's `default` (root). */
  users: string;
  pidFile: string;
  logFile: string;
  dataDir: string;
  dump: string;
  /** Redis 7's multi-part append-only files (appenddirname). */
  aofDir: string;
  /** Present while a setting waits for a restart: the status probe then says restart-required. */
  restartMarker: string;
}

export function layoutOf(ctx: RedisContext): Layout {
  const mountPoint = ctx.options.mount_point.replace(/\/+$/, '') || '/';
  const at = (name: string) => `${mountPoint === '/' ? '' : mountPoint}/${name}`;
  return {
    mountPoint,
    serverConfig: at('redis.conf'),
    sizing: at('sizing.conf'),
    configuration: at('configuration.conf'),
    overrides: at('overrides.conf'),
    replication: at('replication.conf'),
    users: at('users.acl'),
    pidFile: at('redis.pid'),
    logFile: at('redis.log'),
    dataDir: at('data'),
    dump: at('data/dump.rdb'),
    aofDir: at('data/appendonlydir'),
    restartMarker: at('restart-required'),
  };
}
