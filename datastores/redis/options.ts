import { z, type ManagerContext } from '../sdk/index.js';

/** Guest options; `berth inspect` lists them with these defaults. */
export const redisOptions = z.object({
  mount_point: z.string().regex(/^\/[^\0]*$/, 'must be an absolute path').default('/var/lib/redis'),
  port: z.number().int().min(1).max(65535).default(6379),
  /** Password of the manager's own ACL user `berth`; the provisioner puts the same one in the `admin` connection grant. */
  admin_password: z.string().min(1),
  /** Length of a generated root password (Trove's default_password_length). */
  default_password_length: z.number().int().min(8).max(1024).default(36),
  backup_strategy: z.string().default('RedisBackup'),
  /** Seconds redis-server may take to load its data and answer, or to save and exit. */
  start_timeout: z.number().positive().default(120),
});

export type RedisOptions = z.infer<typeof redisOptions>;
export type RedisContext = ManagerContext<RedisOptions>;
