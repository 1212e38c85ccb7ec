/**
 * Per-datastore option defaults, as Trove 18 ships them (trove/common/cfg.py,
 * one option group per datastore, with its spellings: e.g. innobackupex for
 * mysql but InnoBackupEx for percona). Server-side ones are read only by the
 * server; guest-side ones are written into each guest's config and never read
 * by the server's logic (the side of each: docs/trove-compatibility.md).
 * Where Berth deliberately keeps another value, trove-differences.ts says
 * which and why; test/server/registry/trove-defaults.test.ts checks every
 * value here against Trove's own cfg.py.
 */
export interface DatastoreDefaults {
  server: {
    tcp_ports: string[];
    udp_ports: string[];
    root_on_create: boolean;
    usage_timeout: number;
    /** Trove's None (no strategy) is "" here, and no guest-side backup_strategy. */
    backup_strategy: string;
    volume_support: boolean;
    device_path: string;
    /** Berth's: fail over to a replica when this source is gone (docs/replication.md, "Automatic failover"). */
    auto_failover?: boolean;
  };
  guest: Record<string, string | number | boolean | string[]>;
}

/** Trove's [DEFAULT] usage_timeout: what a datastore whose group has none of its own gets. */
export const GLOBAL_USAGE_TIMEOUT = 1800;

/**
 * What a group leaves out: no root on create (Trove answers False when the
 * group has no root_on_create), the global usage_timeout, a volume on /dev/vdb.
 */
const common = { udp_ports: [], root_on_create: false, usage_timeout: GLOBAL_USAGE_TIMEOUT, volume_support: true, device_path: '/dev/vdb', auto_failover: false };

const MYSQL_SYSTEM_DBS = ['mysql', 'information_schema', 'performance_schema', 'sys'];
/** mysql's, percona's and pxc's: Trove's MySQL family hides its own users and system schemas. */
const MYSQL_GUEST = { mount_point: '/var/lib/mysql', replication_strategy: 'MysqlGTIDReplication', ignore_users: ['os_admin', 'root'], default_password_length: 36 };
const GALERA_PORTS = ['3306', '4444', '4567', '4568'];

/** One datastore's defaults, backup_strategy on both sides (Trove's S+G option) unless Trove has none. */
function datastore(server: Partial<DatastoreDefaults['server']> & { tcp_ports: string[]; backup_strategy: string }, guest: DatastoreDefaults['guest']): DatastoreDefaults {
  const backup: DatastoreDefaults['guest'] = server.backup_strategy ? { backup_strategy: server.backup_strategy } : {};
  return { server: { ...common, ...server }, guest: { ...guest, ...backup } };
}

export const DATASTORE_DEFAULTS: Readonly<Record<string, DatastoreDefaults>> = {
  mysql: datastore({ tcp_ports: ['3306'], usage_timeout: 400, backup_strategy: 'innobackupex' }, { ...MYSQL_GUEST, ignore_dbs: MYSQL_SYSTEM_DBS }),
  // Trove leaves sys out of percona's and mariadb's ignore_dbs; Berth keeps it (trove-differences.ts)
  percona: datastore({ tcp_ports: ['3306'], usage_timeout: 450, backup_strategy: 'InnoBackupEx' }, { ...MYSQL_GUEST, ignore_dbs: MYSQL_SYSTEM_DBS }),
  pxc: datastore(
    { tcp_ports: GALERA_PORTS, usage_timeout: 450, backup_strategy: 'InnoBackupEx' },
    { ...MYSQL_GUEST, ignore_users: ['os_admin', 'root', 'clusterrepuser'], ignore_dbs: ['mysql', 'information_schema', 'performance_schema'] },
  ),
  mariadb: datastore(
    { tcp_ports: GALERA_PORTS, usage_timeout: 400, backup_strategy: 'mariabackup' },
    { ...MYSQL_GUEST, replication_strategy: 'MariaDBGTIDReplication', ignore_dbs: MYSQL_SYSTEM_DBS },
  ),
  postgresql: datastore(
    { tcp_ports: ['5432'], backup_strategy: 'pg_basebackup' },
    {
      mount_point: '/var/lib/postgresql',
      replication_strategy: 'PostgresqlReplicationStreaming',
      // berth_bootstrap: initdb's superuser, the host's (postgresql-bootstrap.ts)
      ignore_users: ['os_admin', 'postgres', 'berth_bootstrap'],
      ignore_dbs: ['os_admin', 'postgres'],
      default_password_length: 36,
    },
  ),
  redis: datastore(
    { tcp_ports: ['6379', '16379'], backup_strategy: 'RedisBackup' },
    { mount_point: '/var/lib/redis', replication_strategy: 'RedisSyncReplication', default_password_length: 36 },
  ),
  mongodb: datastore(
    { tcp_ports: ['2500', '27017', '27019'], backup_strategy: 'MongoDump' },
    { mount_point: '/var/lib/mongodb', ignore_users: ['admin.os_admin', 'admin.root'], ignore_dbs: ['admin', 'local', 'config'], default_password_length: 36 },
  ),
  cassandra: datastore(
    { tcp_ports: ['7000', '7001', '7199', '9042', '9160'], backup_strategy: 'NodetoolSnapshot' },
    { mount_point: '/var/lib/cassandra', ignore_users: ['os_admin'], ignore_dbs: ['system', 'system_auth', 'system_traces'], default_password_length: 36 },
  ),
  couchbase: datastore(
    { tcp_ports: ['8091', '8092', '4369', '11209-11211', '21100-21199'], backup_strategy: 'CbBackup' },
    { mount_point: '/var/lib/couchbase', default_password_length: 24 },
  ),
  couchdb: datastore(
    { tcp_ports: ['5984'], backup_strategy: 'CouchDBBackup' },
    { mount_point: '/var/lib/couchdb', ignore_users: ['os_admin', 'root'], ignore_dbs: ['_users', '_replicator'], default_password_length: 36 },
  ),
  vertica: datastore(
    { tcp_ports: ['5433', '5434', '5444', '5450', '4803'], udp_ports: ['5433', '4803', '4804', '6453'], backup_strategy: '' },
    { mount_point: '/var/lib/vertica', default_password_length: 36 },
  ),
  db2: datastore(
    { tcp_ports: ['50000'], backup_strategy: 'DB2OfflineBackup' },
    { mount_point: '/home/db2inst1/db2inst1', ignore_users: ['PUBLIC', 'DB2INST1'], default_password_length: 36 },
  ),
};

/** A third-party datastore starts from these: no ports, nothing assumed. */
export const GENERIC_DEFAULTS: DatastoreDefaults = {
  server: { ...common, tcp_ports: [], backup_strategy: '' },
  guest: {},
};
