import { z, type ManagerContext } from '../sdk/index.js';

export const optionsSchema = z.object({
  mount_point: z.string().default('/var/lib/postgresql'),
  /** Where clients connect; the local provisioner gives each instance its own. */
  port: z.coerce.number().int().min(1).max(65535).default(5432),
  /** The manager's own superuser (os_admin): the provisioner generates it and puts it in the connection grants too. */
  admin_password: z.string().min(16),
  listen_addresses: z.string().default('127.0.0.1'),
  ignore_users: z.array(z.string()).default(['os_admin', 'postgres']),
  ignore_dbs: z.array(z.string()).default(['os_admin', 'postgres']),
  /** Kept in pg_wal so a base backup finds every segment it spans. */
  wal_keep_size: z.string().default('256MB'),
});

export type PgOptions = z.infer<typeof optionsSchema>;
export type PgContext = ManagerContext<PgOptions>;

export const ADMIN_USER = 'os_admin';
export const ROOT_USER = 'postgres';

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
