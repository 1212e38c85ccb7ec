/**
 * The variables a manager may add to a program's environment (the grant's
 * own `environment` is the operator's and is not limited by this). Anything
 * else is refused: loader variables (LD_*, GCONV_PATH...) run a library the
 * manager wrote into its volume inside a granted program, client variables
 * load plugins or read option files (LIBMYSQL_PLUGINS, MARIADB_PLUGIN_DIR,
 * MYSQL_HOME) or point a client at a host that was never granted (MYSQL_HOST,
 * PGHOST, PGSERVICEFILE), and there is no end to such lists, so the
 * allowed ones are named instead.
 */
const ALLOWED = new Set([
  // a password for the granted datastore's own clients, so it stays off the command line
  'MYSQL_PWD',
  'PGPASSWORD',
  // etcdctl's user and password (its --user and --password flags), likewise off the command line
  'ETCDCTL_USER',
  'ETCDCTL_PASSWORD',
  // where pg_ctl finds the cluster and how long it waits
  'PGDATA',
  'PGCTLTIMEOUT',
  // time zone and locale of the program's output
  'TZ',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
]);
const LOCALE_CATEGORY = /^LC_[A-Z]+$/;

export function managerMayAdd(name: string): boolean {
  return ALLOWED.has(name) || LOCALE_CATEGORY.test(name);
}

export const ALLOWED_ENVIRONMENT = [...ALLOWED, 'LC_*'].join(', ');
