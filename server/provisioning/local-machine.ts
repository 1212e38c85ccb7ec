import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

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

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/** A user of this machine by name, or undefined when there is none. */
export function lookupUser(name: string): OsUser | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { name, uid, gid } : undefined;
  } catch {
    return undefined;
  }
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
