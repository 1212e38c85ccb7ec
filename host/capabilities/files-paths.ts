import { lstatSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';

/** Linux's own limit on symlinks followed in one lookup. */
const MAX_SYMLINKS = 40;

/**
 * Where `path`, taken relative to the directory `base` (a host path with no
 * symlinks in it), lands on the host, never above `base`. Node has no
 * openat(2), so the walk is done here one segment at a time: `..` may not
 * climb above `base`, a symlink is followed only by splicing its target into
 * the walk (an absolute target, or one that climbs out, is refused), and the
 * last segment is followed only when `followFinal` (or a trailing slash) asks.
 * Throws wasi:filesystem error codes.
 *
 * The walk checks, then the caller acts: a symlink swapped in between could
 * still redirect a path operation. `openedPath` closes that gap for
 * opened files by checking what was actually opened.
 */
export function resolveBeneath(base: string, path: string, followFinal: boolean): string {
  if (path === '') throw 'no-entry';
  if (path.startsWith('/') || path.includes('\0')) throw 'not-permitted';
  const trailingSlash = path.endsWith('/');
  let pending = segmentsOf(path, []);
  let current: string[] = [];
  let followed = 0;
  while (pending.length > 0) {
    const segment = pending.shift()!;
    if (segment === '..') {
      if (current.pop() === undefined) throw 'not-permitted';
      continue;
    }
    const candidate = hostPath(base, [...current, segment]);
    const last = pending.length === 0;
    if (last && !followFinal && !trailingSlash) return candidate;
    // throwIfNoEntry: a missing file is common (an existence check) and Node's thrown error costs ~20 us
    const stats = lstatSync(candidate, { throwIfNoEntry: false });
    if (!stats) {
      // a missing segment: nothing below it exists, so nothing below it can be a symlink or lead back up
      if (pending.includes('..')) throw 'no-entry';
      return hostPath(base, [...current, segment, ...pending]) + (trailingSlash ? '/' : '');
    }
    if (!stats.isSymbolicLink()) {
      current.push(segment);
      continue;
    }
    if (++followed > MAX_SYMLINKS) throw 'loop';
    const target = readlinkSync(candidate);
    if (posix.isAbsolute(target)) throw 'not-permitted';
    pending = [...segmentsOf(target, []), ...pending];
  }
  return hostPath(base, current) + (trailingSlash && current.length > 0 ? '/' : '');
}

function segmentsOf(path: string, into: string[]): string[] {
  for (const segment of path.split('/')) if (segment !== '' && segment !== '.') into.push(segment);
  return into;
}

function hostPath(base: string, segments: readonly string[]): string {
  return segments.length === 0 ? base : posix.join(base, ...segments);
}

/** Whether `path` is `directory` or below it (both without symlinks). */
export function isBeneath(path: string, directory: string): boolean {
  return path === directory || path.startsWith(directory === '/' ? '/' : `${directory}/`);
}

/**
 * The host path the open file `fd` is, as the kernel says (/proc/self/fd):
 * no symlink swapped in after the walk can change it. Undefined elsewhere
 * than Linux, where the walk's check is all there is.
 */
export function openedPath(fd: number): string | undefined {
  if (process.platform !== 'linux') return undefined;
  return readlinkSync(`/proc/self/fd/${fd}`);
}
