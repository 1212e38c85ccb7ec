import { z, type ManagerContext } from '../sdk/index.js';

export const optionsSchema = z.object({
  mount_point: z.string().default('/var/lib/mysql'),
  /** Where clients connect; the local provisioner gives each instance its own. */
  port: z.coerce.number().int().min(1).max(65535).default(3306),
  /** os_admin's password: the provisioner generates it and puts it in the admin connection grant too. */
  admin_password: z.string().min(16),
  bind_address: z.string().default('127.0.0.1'),
  ignore_users: z.array(z.string()).default(['os_admin', 'root']),
  ignore_dbs: z.array(z.string()).default(['mysql', 'information_schema', 'performance_schema', 'sys']),
  /** MariaBackup (InnoBackupEx for mysql and percona) when mariabackup is granted, a logical dump otherwise; MysqlDump always dumps. */
  backup_strategy: z.string().default('MariaBackup'),
  /** Longest wait for mariadbd to answer after a start (crash recovery included), seconds. */
  start_timeout: z.coerce.number().int().positive().default(300),
});

export type MyOptions = z.infer<typeof optionsSchema>;
export type MyContext = ManagerContext<MyOptions>;

export const ADMIN_USER = 'os_admin';
/** TCP from this host only, with skip-name-resolve: the account the admin connection grant logs in as. */
export const ADMIN_HOST = '127.0.0.1';
export const ROOT_USER = 'root';
/** A replica's replication-only account on its primary, named after its replica-name: not a client's to see or manage. */
export const REPLICA_ACCOUNT = /^berth_[0-9a-f]{32}$/;

export const paths = (ctx: MyContext) => {
  const mount = ctx.options.mount_point;
  return {
    data: `${mount}/data`,
    /** The server's only option file (--defaults-file), rewritten on every start. */
    serverConf: `${mount}/my.cnf`,
    confDir: `${mount}/conf.d`,
    /** innodb_buffer_pool_size from prepare's memory-mb; read before the configuration and the overrides. */
    sizingConf: `${mount}/conf.d/berth-base-sizing.cnf`,
    /** The binary log's defaults (how long it is kept), read first: a configuration or an override may change them. */
    replicationConf: `${mount}/conf.d/berth-base-replication.cnf`,
    /** reset-configuration / start-db-with-conf-changes / prepare's config-contents. */
    configurationConf: `${mount}/conf.d/berth-configuration.cnf`,
    /** update-overrides / apply-overrides; read after the configuration, so it wins. */
    overridesConf: `${mount}/conf.d/berth-overrides.cnf`,
    run: `${mount}/run`,
    socket: `${mount}/run/mysqld.sock`,
    pidFile: `${mount}/run/mysqld.pid`,
    /** SQL the server runs at start (--init-file) to give os_admin this instance's password; removed once it answers. */
    adminInit: `${mount}/run/admin-init.sql`,
    log: `${mount}/log`,
    errorLog: `${mount}/log/error.log`,
    /** mariadbd's stdout and stderr: what it says before it opens its error log. */
    consoleLog: `${mount}/log/console.log`,
    backup: `${mount}/backup`,
    /**
     * secure_file_priv: the only directory INTO OUTFILE, LOAD_FILE and LOAD DATA INFILE may reach, empty and
     * of no use to anyone (no account holds FILE); the host refuses a server started with another.
     */
    secureFiles: `${mount}/secure-file-priv`,
    /** Present once the data directory is complete (installed or restored): prepare may re-run until then. */
    initialised: `${mount}/initialised`,
    /** Present while the datastore is stopped on purpose: the probe says SHUTDOWN, not CRASHED. */
    stopped: `${mount}/stopped`,
    /** Present after apply-overrides changed a setting only a restart applies. */
    restartRequired: `${mount}/restart-required`,
    /** This instance's server_id (decimal), drawn once from the server's random bytes: unique among the guests it replicates with. */
    serverId: `${mount}/server-id`,
    /** Present while clients may not write (a replica, a demoted primary): my.cnf says read-only, so it survives a restart. */
    readOnly: `${mount}/read-only`,
    /** Present while the server follows a source (attach-replica until detach-replica): its slave threads start with it. */
    replica: `${mount}/replica`,
  };
};
