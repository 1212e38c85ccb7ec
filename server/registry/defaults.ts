/**
 * Per-datastore option defaults, as Trove ships them (docs: the guest API
 * reference). Server-side ones are read only by the server; guest-side ones
 * are written into each guest's config and never read by the server's logic.
 */
export interface DatastoreDefaults {
  server: {
    tcp_ports: string[];
    udp_ports: string[];
    root_on_create: boolean;
    usage_timeout: number;
    backup_strategy: string;
    volume_support: boolean;
    device_path: string;
  };
  guest: Record<string, string | number | boolean | string[]>;
}

/** Trove's global usage_timeout: the per-datastore one wins where it is set. */
export const GLOBAL_USAGE_TIMEOUT = 1800;

const common = { udp_ports: [], root_on_create: false, usage_timeout: GLOBAL_USAGE_TIMEOUT, volume_support: true, device_path: '/dev/vdb' };

function mysqlFamily(backupStrategy: string): DatastoreDefaults {
  return {
    server: { ...common, tcp_ports: ['3306'], usage_timeout: 400, backup_strategy: backupStrategy },
    guest: {
      mount_point: '/var/lib/mysql',
      backup_strategy: backupStrategy,
      replication_strategy: 'MysqlGTIDReplication',
      ignore_users: ['os_admin', 'root'],
      ignore_dbs: ['mysql', 'information_schema', 'performance_schema', 'sys'],
      default_password_length: 36,
    },
  };
}

export const DATASTORE_DEFAULTS: Readonly<Record<string, DatastoreDefaults>> = {
  mysql: mysqlFamily('InnoBackupEx'),
  percona: mysqlFamily('InnoBackupEx'),
  mariadb: mysqlFamily('MariaBackup'),
  postgresql: {
    server: { ...common, tcp_ports: ['5432'], backup_strategy: 'PgBaseBackup' },
    guest: {
      mount_point: '/var/lib/postgresql',
      backup_strategy: 'PgBaseBackup',
      replication_strategy: 'PostgresqlReplicationStreaming',
      ignore_users: ['os_admin', 'postgres', 'berth_bootstrap'],
      ignore_dbs: ['os_admin', 'postgres'],
      default_password_length: 36,
    },
  },
  redis: {
    server: { ...common, tcp_ports: ['6379', '16379'], backup_strategy: 'RedisBackup' },
    guest: { mount_point: '/var/lib/redis', backup_strategy: 'RedisBackup', replication_strategy: 'RedisSyncReplication', default_password_length: 36 },
  },
  mongodb: {
    server: { ...common, tcp_ports: ['2500', '27017', '27019'], backup_strategy: 'MongoDump' },
    guest: {
      mount_point: '/var/lib/mongodb',
      backup_strategy: 'MongoDump',
      ignore_users: ['admin.os_admin', 'admin.root'],
      ignore_dbs: ['admin', 'local', 'config'],
      default_password_length: 36,
    },
  },
  cassandra: {
    server: { ...common, tcp_ports: ['7000', '7001', '7199', '9042', '9160'], backup_strategy: 'NodetoolSnapshot' },
    guest: {
      mount_point: '/var/lib/cassandra',
      backup_strategy: 'NodetoolSnapshot',
      ignore_users: ['os_admin'],
      ignore_dbs: ['system', 'system_auth', 'system_traces'],
      default_password_length: 36,
    },
  },
  couchbase: {
    server: { ...common, tcp_ports: ['8091', '8092', '4369', '11209-11211', '21100-21199'], backup_strategy: 'CbBackup' },
    guest: { mount_point: '/var/lib/couchbase', backup_strategy: 'CbBackup', default_password_length: 24 },
  },
};

/** A third-party datastore starts from these: no ports, nothing assumed. */
export const GENERIC_DEFAULTS: DatastoreDefaults = {
  server: { ...common, tcp_ports: [], backup_strategy: '' },
  guest: {},
};
