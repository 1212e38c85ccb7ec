/**
 * The one record of where Berth's built-in option defaults deliberately
 * differ from Trove 18's (trove/common/cfg.py). Everything else in
 * defaults.ts and builtin-datastores.ts is Trove's value; the test that
 * compares them with Trove's own cfg.py subtracts exactly these, and fails if
 * one of them is no longer a difference. docs/trove-compatibility.md points
 * operators here.
 */
export interface TroveDifference {
  /** Trove's option group, which is Berth's datastore name. */
  group: string;
  option: string;
  side: 'server' | 'guest';
  /** defaults: every datastore of that name (defaults.ts); berth up: only the one `berth up` offers (builtin-datastores.ts). */
  scope: 'defaults' | 'berth up';
  /** Trove's value; for an option the group lacks, what Trove uses instead (usage_timeout: [DEFAULT]'s). */
  trove: string | number | boolean | string[];
  berth: string | number | boolean | string[];
  why: string;
}

const MARIADB_SYS =
  'Berth runs percona and mariadb with MariaDB 10.11, whose sys schema is a system schema like performance_schema: listed, a user could drop it';

export const TROVE_DIFFERENCES: readonly TroveDifference[] = [
  ...['percona', 'mariadb'].map(
    (group): TroveDifference => ({
      group,
      option: 'ignore_dbs',
      side: 'guest',
      scope: 'defaults',
      trove: ['mysql', 'information_schema', 'performance_schema'],
      berth: ['mysql', 'information_schema', 'performance_schema', 'sys'],
      why: MARIADB_SYS,
    }),
  ),
  {
    group: 'postgresql',
    option: 'ignore_users',
    side: 'guest',
    scope: 'defaults',
    trove: ['os_admin', 'postgres'],
    berth: ['os_admin', 'postgres', 'berth_bootstrap'],
    why: "berth_bootstrap is initdb's superuser, which the guest host (not the manager) uses to create os_admin; no user may see or change it",
  },
  {
    group: 'postgresql',
    option: 'usage_timeout',
    side: 'server',
    scope: 'berth up',
    trove: 1800,
    berth: 300,
    why: "berth up's guests are processes on the same machine: no VM boots first, and one that has not reported RUNNING in 5 minutes will not",
  },
  {
    group: 'redis',
    option: 'usage_timeout',
    side: 'server',
    scope: 'berth up',
    trove: 1800,
    berth: 120,
    why: "berth up's guests are processes on the same machine: redis-server starts in a second, so 2 minutes without RUNNING means it will not",
  },
];
