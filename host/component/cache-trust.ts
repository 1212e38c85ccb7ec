import { lstatSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Whether the transpile cache at `path` may be believed. The host runs the
 * JavaScript glue kept there outside the sandbox, so an entry that anyone
 * but this process's user (or root) could have written is a way out of the
 * sandbox: the datastore's user, or any user of the machine where the cache
 * sits in a shared directory such as /tmp. Like ssh's StrictModes: owned by
 * root or by us, not a symlink, writable by nobody else.
 */
export function trustedByOwner(path: string): boolean {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  if (!stats || stats.isSymbolicLink()) return false;
  const uid = process.geteuid?.();
  if (uid !== undefined && stats.uid !== 0 && stats.uid !== uid) return false;
  return (stats.mode & 0o022) === 0;
}

/** The cache directory, an entry in it and each of the entry's files, all trusted. */
export function trustedEntry(cacheDir: string, entry: string, names: readonly string[]): boolean {
  return trustedByOwner(cacheDir) && trustedByOwner(entry) && names.every((name) => trustedByOwner(join(entry, name)));
}
