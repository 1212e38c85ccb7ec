import { z, type ManagerContext } from '../../sdk/index.js';

/** Guest options; `berth inspect` lists them with these defaults. */
export const etcdOptions = z.object({
  mount_point: z.string().regex(/^\/[^\0]*$/, 'must be an absolute path').default('/var/lib/etcd'),
  /** Client port (the instance's endpoint), on 127.0.0.1. */
  port: z.number().int().min(1).max(65535).default(2379),
  /** Peer port of the single-member cluster, on 127.0.0.1. */
  peer_port: z.number().int().min(1).max(65535).default(2380),
  /**
   * Password of the manager's own etcd user `berth` (role root), made at the
   * first enable-root: the manager logs in with it once auth is on. A local
   * secret, so a restored instance (whose auth store comes from the snapshot)
   * runs with the source's value.
   */
  admin_password: z.string().min(1),
  backup_strategy: z.string().default('EtcdSnapshot'),
  /** Seconds etcd may take to become healthy, or to exit after SIGTERM. */
  start_timeout: z.number().positive().default(60),
});

export type EtcdOptions = z.infer<typeof etcdOptions>;
export type EtcdContext = ManagerContext<EtcdOptions>;

/** Paths of the instance's files, all under the mount point. */
export function layoutOf(ctx: EtcdContext) {
  const mountPoint = ctx.options.mount_point.replace(/\/+$/, '') || '/';
  return {
    mountPoint,
    /** Relative to the mount point (the programs run there): a guest path and a host path may differ. */
    dataDir: 'data',
    log: `${mountPoint}/etcd.log`,
    pidFile: `${mountPoint}/etcd.pid`,
    snapshot: 'snapshot.db',
  };
}
