import { z, type ManagerContext } from '../sdk/index.js';

export const optionsSchema = z.object({
  mount_point: z.string().default('/var/lib/postgresql'),
  /** Where clients connect; the local provisioner gives each instance its own. */
  port: z.coerce.number().int().min(1).max(65535).default(5432),
  /** The manager's own role (os_admin, no superuser): the provisioner generates it and puts it in the connection grants too. */
  admin_password: z.string().min(16),
  /**
   * The cluster's bootstrap superuser (berth_bootstrap), for initdb only: the
   * host logs in as it to create os_admin; the manager has no connection that does.
   */
  bootstrap_password: z.string().min(16),
  listen_addresses: z.string().default('127.0.0.1'),
  ignore_users: z.array(z.string()).default(['os_admin', 'postgres', 'berth_bootstrap']),
  ignore_dbs: z.array(z.string()).default(['os_admin', 'postgres']),
  /** Kept in pg_wal so a base backup finds every segment it spans. */
  wal_keep_size: z.string().default('256MB'),
});

export type PgOptions = z.infer<typeof optionsSchema>;
export type PgContext = ManagerContext<PgOptions>;

export const ADMIN_USER = 'os_admin';
export const ROOT_USER = 'postgres';
/** initdb's superuser: the host's, to create os_admin (server/registry/postgresql-bootstrap.ts). */
export const BOOTSTRAP_USER = 'berth_bootstrap';

export const paths = (ctx: PgContext) => {
  const mount = ctx.options.mount_point;
  return {
    data: `${mount}/data`,
    log: `${mount}/log`,
    logFile: `${mount}/log/postgresql.log`,
    /** Present while the datastore is stopped on purpose: the probe says SHUTDOWN, not CRASHED. */
    stopped: `${mount}/stopped`,
    berthConf: `${mount}/data/berth.conf`,
    overridesConf: `${mount}/data/berth-overrides.conf`,
  };
};
