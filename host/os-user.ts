import { execFileSync } from 'node:child_process';
import { BerthError } from '../datastores/errors/berth-error.js';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/** A user of this machine by name (through NSS, as `id` sees it), or undefined when there is none. */
export function lookupUser(name: string): OsUser | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { name, uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

export type PrivilegeOutcome = 'dropped' | 'already' | 'root';

/**
 * The guest host becomes `runAs` once it holds what only it may read (its
 * config with the instance token, the manager and its transpile cache) and
 * before any manager code runs: every program the manager starts, and so the
 * datastore, runs as that user, which cannot read the host's config or
 * write its cache. Linux clears a process's dumpable flag when its uid
 * changes this way, so the datastore's user cannot read the host's memory
 * or environment through /proc or ptrace either.
 *
 * Without `runAs` the host stays who it is: as root, that means every
 * program the manager runs is root's (reported as 'root' for the log).
 */
export function becomeRunAsUser(runAs: string | undefined, configFile: string): PrivilegeOutcome {
  const uid = process.getuid?.();
  if (runAs === undefined) return uid === 0 ? 'root' : 'already';
  const user = lookupUser(runAs);
  if (!user) {
    throw new BerthError('BERTH_ERR_CONFIG_INVALID', `${configFile}: host.run_as: this machine has no user ${runAs}`, 'create the user (useradd --system) or name an existing one');
  }
  if (uid === user.uid) return 'already';
  if (uid !== 0) {
    throw new BerthError(
      'BERTH_ERR_CONFIG_INVALID',
      `${configFile}: host.run_as: only a host started as root can become ${runAs} (this one runs as uid ${uid})`,
      `start the host as root (it reads its config, then becomes ${runAs}), or as ${runAs} itself`,
    );
  }
  if (user.uid === 0) {
    throw new BerthError('BERTH_ERR_CONFIG_INVALID', `${configFile}: host.run_as: ${runAs} is root`, 'name the datastore\'s own unprivileged user');
  }
  // groups first (once the uid is not root they can no longer change): only the user's own, none of root's
  process.setgroups!([user.gid]);
  process.setgid!(user.gid);
  process.setuid!(user.uid);
  if (process.getuid!() !== user.uid || process.geteuid!() !== user.uid || process.getegid!() !== user.gid) {
    throw new BerthError('BERTH_ERR_INTERNAL', `could not become ${runAs}`, 'report this: the host refuses to run managers with mixed credentials');
  }
  return 'dropped';
}
