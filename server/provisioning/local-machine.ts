import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { lookupUser, type OsUser } from '../../host/os-user.js';
import { procStat, type ProcessIdentity } from '../../host/capabilities/proc-stat.js';

export type { ProcessIdentity } from '../../host/capabilities/proc-stat.js';

/** A TCP port nobody listens on right now (the kernel's pick). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The OS user of one local instance, made for it when a root server places
 * it: its datastore and guest host run as it, so no instance can read
 * another's volume, spool or state, and none can read its own guest config.
 */
export function ensureInstanceUser(name: string, instanceId: string): OsUser {
  const existing = lookupUser(name);
  if (existing) return existing;
  execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--comment', `Berth instance ${instanceId}`, name], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const made = lookupUser(name);
  if (!made) throw new Error(`useradd made no user ${name}`);
  return made;
}

/** The instance's user and its group go with the instance (its processes must be gone first). */
export function removeInstanceUser(name: string): void {
  if (!lookupUser(name)) return;
  execFileSync('userdel', [name], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Processes whose real uid is `uid`: whatever an instance's user still runs when the instance goes. */
export function processesOwnedBy(uid: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const line = readFileSync(`/proc/${name}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'));
      if (line && Number(line.split(/\s+/)[1]) === uid) found.push(Number(name));
    } catch {
      // gone in the meantime
    }
  }
  return found;
}

/**
 * Every process below `root` (children, their children...), with the start
 * time that tells it from a later process given the same pid: what a guest
 * host has started (spawned programs, runs in flight, the datastore) whatever
 * directory it works in and whichever user runs it.
 */
export function processesDescendedFrom(root: number): ProcessIdentity[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (stat) children.set(stat.parent, [...(children.get(stat.parent) ?? []), Number(name)]);
  }
  const found: ProcessIdentity[] = [];
  const queue = [...(children.get(root) ?? [])];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    const stat = procStat(pid);
    if (stat) found.push({ pid, startTime: stat.startTime });
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** Hand a directory tree to a user (no symlink is followed). */
export function chownTree(path: string, user: OsUser): void {
  chownSync(path, user.uid, user.gid);
  if (!lstatSync(path).isDirectory()) return;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) chownTree(child, user);
    else chownSync(child, user.uid, user.gid);
  }
}

/** Let other users pass through a directory (not list or read it): a service user must reach its instance below. */
export function allowTraversal(path: string): void {
  chmodSync(path, lstatSync(path).mode | 0o111);
}

/**
 * Processes working inside `directory`: a datastore a manager started there
 * (PostgreSQL, Redis and MariaDB all chdir into their data directory).
 * Readable for the server's own processes and, as root, for everyone's.
 */
export function processesWorkingIn(directory: string): number[] {
  const prefix = directory.endsWith('/') ? directory : `${directory}/`;
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if (cwd === directory || cwd.startsWith(prefix)) found.push(Number(name));
    } catch {
      // gone, or not ours to look at
    }
  }
  return found;
}

/**
 * The variable every local instance's guest config grants (so no manager may
 * override it), its value the instance id: inherited by every program its host
 * runs or spawns and by what those start, whatever session, directory or
 * parent they end up with.
 */
export const INSTANCE_MARKER = 'BERTH_INSTANCE';

/**
 * Processes whose environment carries the instance's mark: what its host
 * started, also after that host is gone. Readable for the server's own
 * processes and, as root, for everyone's. A process can only mark itself, so
 * the mark cannot make delete end a process the instance did not start; a
 * program that clears its environment (env -i) is not found this way.
 */
export function processesMarkedWith(instanceId: string): number[] {
  const mark = Buffer.from(`\0${INSTANCE_MARKER}=${instanceId}\0`);
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      // NUL-separated: a leading NUL lets the first variable match like the others
      const environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${name}/environ`), Buffer.from([0])]);
      if (environ.includes(mark)) found.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}
