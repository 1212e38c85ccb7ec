/**
 * The argument policies of the programs Berth's own managers run, by file
 * name (exec-arguments.ts applies them): only the options each manager
 * passes. What every refused option would do, and why its allowed ones are
 * bounded as they are, is in docs/security.md ("Programs").
 *
 * Value rules: `safe` is letters, digits and _ . / : @ % + = , - (no quote,
 * $, ` or \ to end a shell's quoting: pg_ctl and mariadb-install-db hand
 * values to /bin/sh); `path` is a safe absolute path without `..` inside a
 * directory of the grant (where the manager's own files are); `relative`
 * a safe path under the working directory; `host` and `port` together must
 * name a server of a granted connection; `text` is anything (SQL for a
 * sandboxed client, never a shell's); a list allows those words only.
 */
export type ValueRule = 'safe' | 'path' | 'relative' | 'host' | 'port' | 'text' | readonly string[];

export interface ArgumentPolicy {
  /** Options that stand alone. */
  flags: readonly string[];
  /** Options that take a value, as `--name=value`, `--name value`, `-x value` or `-xvalue`, with the rule of their value. */
  valued: Readonly<Record<string, ValueRule>>;
  /** Words that are not options: a fixed list (pg_ctl's subcommands), or any word (mariadb-dump's database names). */
  words?: readonly string[] | 'any';
  /** When `words` is absent: the one word allowed, first, by this rule (redis-server's config file). */
  file?: ValueRule;
  /**
   * A client of a datastore: it must be given its server's --host and --port
   * (a granted connection's), unless one of `offline` is present. Without
   * them MariaDB's clients go to the default socket, the machine's own server.
   */
  connects?: { host: string; port: string; offline: readonly string[] };
  /** Flags that must be present: the mariadb client only with --sandbox (no `system`, `source`, `tee` or `pager`). */
  required?: readonly string[];
  /**
   * A server that can follow a primary from its config file (redis-server's replicaof): the host
   * appends `option` with the replication grant (host port, or `no one` without one) to every run
   * but those whose first argument is one of `offline`, last, where it wins over the file and whatever the file
   * includes (exec-arguments.ts, hostArguments).
   */
  follows?: { option: string; offline: readonly string[] };
}

const safe = (...names: string[]): Record<string, ValueRule> => Object.fromEntries(names.map((name) => [name, 'safe' as const]));

/** The MariaDB clients log in over TCP to the granted server only: never a socket, a pipe or another protocol. */
const MARIADB_LOGIN: Record<string, ValueRule> = { '--host': 'host', '--port': 'port', '--user': 'safe' };
const MARIADB_CONNECTS = { host: '--host', port: '--port', offline: [] as string[] };

const MARIADB_INSTALL_DB: ArgumentPolicy = {
  flags: ['--skip-test-db'],
  valued: { '--defaults-file': 'path', '--auth-root-authentication-method': ['normal', 'socket'] },
};

const MARIADBD: ArgumentPolicy = {
  flags: ['--no-defaults', '--verbose', '--help'],
  // --init-file: the manager's own SQL at start, as os_admin could run it over the connection anyway
  valued: { '--defaults-file': 'path', '--init-file': 'path' },
};

const MARIADB_DUMP: ArgumentPolicy = {
  flags: ['--no-defaults', '--single-transaction', '--routines', '--triggers', '--events', '--hex-blob', '--databases'],
  valued: { ...MARIADB_LOGIN, '--default-character-set': 'safe', '--result-file': 'path' },
  words: 'any',
  connects: MARIADB_CONNECTS,
};

const MARIABACKUP: ArgumentPolicy = {
  flags: ['--no-defaults', '--version', '--backup', '--prepare'],
  valued: { ...MARIADB_LOGIN, '--defaults-file': 'path', '--target-dir': 'path' },
  connects: { ...MARIADB_CONNECTS, offline: ['--prepare', '--version'] },
};

/** No built-in manager runs the client (dumps are restored over the connection); granted to another, it is sandboxed. */
const MARIADB_CLIENT: ArgumentPolicy = {
  flags: ['--no-defaults', '--sandbox', '--batch', '--silent', '--skip-column-names'],
  valued: { ...MARIADB_LOGIN, '--database': 'safe', '--default-character-set': 'safe', '--execute': 'text' },
  connects: MARIADB_CONNECTS,
  required: ['--sandbox'],
};

export const POLICIES: Readonly<Record<string, ArgumentPolicy>> = {
  pg_ctl: {
    flags: ['-w', '--wait', '-W', '--no-wait', '-s', '--silent', '-c', '--core-files'],
    valued: safe('-D', '--pgdata', '-l', '--log', '-t', '--timeout', '-m', '--mode'),
    words: ['start', 'stop', 'restart', 'reload', 'status', 'promote', 'logrotate'],
  },
  initdb: {
    flags: ['--no-instructions', '-k', '--data-checksums', '--no-data-checksums', '-N', '--no-sync', '-S', '--sync-only', '-n', '--no-clean'],
    valued: safe(
      ...['-D', '--pgdata', '-U', '--username', '--pwfile', '-A', '--auth', '--auth-host', '--auth-local', '-E', '--encoding', '--locale'],
      ...['--lc-collate', '--lc-ctype', '--lc-messages', '--lc-monetary', '--lc-numeric', '--lc-time', '--locale-provider', '-X', '--waldir', '--wal-segsize'],
    ),
  },
  'mariadb-install-db': MARIADB_INSTALL_DB,
  mysql_install_db: MARIADB_INSTALL_DB,
  mariadbd: MARIADBD,
  mysqld: MARIADBD,
  'mariadb-dump': MARIADB_DUMP,
  mysqldump: MARIADB_DUMP,
  mariabackup: MARIABACKUP,
  'mariadb-backup': MARIABACKUP,
  mariadb: MARIADB_CLIENT,
  mysql: MARIADB_CLIENT,
  // shell scripts that start mariadbd with options of their own (--malloc-lib, --ledir, --mysqld): nothing allowed
  'mariadbd-safe': { flags: [], valued: {} },
  mysqld_safe: { flags: [], valued: {} },
  'redis-server': {
    flags: ['--version'],
    // this start only: a restore starts without the append-only file
    valued: { '--appendonly': ['yes', 'no'] },
    file: 'relative',
    follows: { option: '--replicaof', offline: ['--version'] },
  },
};
