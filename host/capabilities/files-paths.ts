import { constants, readlinkSync } from 'node:fs';
import { closeHandle, openHandle } from './files-handles.js';
import { posix } from 'node:path';

/** Linux's own limit on symlinks followed in one lookup. */
const MAX_SYMLINKS = 40;

/** Linux's O_PATH (Node does not export it): a handle on a directory that reads nothing and can be walked from. */
export const O_PATH = 0o10000000;

/** Each directory the walk passes through: opened as what it is now, never followed if it is a symlink. */
const STEP_FLAGS = O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * What a walk ends on: the entry `name` in the directory open as `dir`, or
 * that directory itself (`name` undefined: the path was "." or ended in "..").
 * `path` is /proc/self/fd/<dir>/<name>: the kernel follows the magic link to
 * the directory `dir` is now, wherever it has been moved, and looks up
 * `name` in it alone, so nothing renamed or swapped in since the walk can
 * redirect the operation done on it.
 */
export interface Entry {
  readonly dir: number;
  readonly name: string | undefined;
  readonly path: string;
  /** Whether a final symlink is to be followed (asked for, or a trailing slash). */
  readonly follow: boolean;
}

/** What an action answers when the entry it met is a symlink it was asked to follow: the walk reads it and goes on. */
export const FOLLOW: unique symbol = Symbol('follow');

export function procPath(dir: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${dir}` : `/proc/self/fd/${dir}/${name}`;
}

/**
 * Walks `path` from the directory open as `base`, one segment at a time, each
 * directory opened (O_PATH|O_NOFOLLOW|O_DIRECTORY) relative to the one before
 * (Node has no openat(2); /proc/self/fd/<fd>/<name> is its Linux
 * equivalent), and runs `act` on the last entry while those directories are
 * still held. `..` closes the directory last entered and may never leave
 * `base`; a symlink is read and its target spliced into the walk (an
 * absolute target is refused), so a symlink that climbs out is refused when
 * followed wherever it has been moved. Nothing of an earlier walk is kept:
 * every call resolves against what the kernel has now.
 * Throws wasi:filesystem error codes (and Node's errors, which the caller maps).
 */
export function walkBeneath<T>(base: number, path: string, followFinal: boolean, act: (entry: Entry) => T | typeof FOLLOW): T {
  if (path === '') throw 'no-entry';
  if (path.startsWith('/') || path.includes('\0')) throw 'not-permitted';
  const follow = followFinal || path.endsWith('/');
  // segments still to walk, the next one last (pop is cheap; splicing a link's target pushes it reversed)
  const pending = segmentsOf(path).reverse();
  const held: number[] = [];
  let followed = 0;
  const splice = (link: string, segment: string, last: boolean): void => {
    if (++followed > MAX_SYMLINKS) throw 'loop';
    const target = readLink(link);
    if (target === undefined) {
      // a file in the middle of a path; at its end, a symlink that changed under the walk: look at it again
      if (!last) throw 'not-directory';
      pending.push(segment);
      return;
    }
    if (posix.isAbsolute(target)) throw 'not-permitted';
    pending.push(...segmentsOf(target).reverse());
  };
  try {
    for (;;) {
      const dir = held.length > 0 ? held[held.length - 1]! : base;
      const segment = pending.pop();
      if (segment === undefined) return act({ dir, name: undefined, path: procPath(dir), follow }) as T;
      if (segment === '..') {
        const left = held.pop();
        if (left === undefined) throw 'not-permitted';
        closeHandle(left);
        continue;
      }
      const entry = procPath(dir, segment);
      if (pending.length === 0) {
        const result = act({ dir, name: segment, path: entry, follow });
        if (result !== FOLLOW) return result;
        splice(entry, segment, true);
        continue;
      }
      const next = openStep(entry);
      if (next !== undefined) held.push(next);
      else splice(entry, segment, false);
    }
  } finally {
    for (const fd of held) closeHandle(fd);
  }
}

/** The directory at `entry`, opened; undefined if it is a symlink (or was a moment ago). */
function openStep(entry: string): number | undefined {
  try {
    return openHandle(entry, STEP_FLAGS);
  } catch (thrown) {
    // O_NOFOLLOW|O_DIRECTORY answers ENOTDIR for a symlink as for a file: the walk tells them apart by reading it
    if ((thrown as { code?: string }).code !== 'ENOTDIR') throw thrown;
    return undefined;
  }
}

/** The target of the symlink at `entry`; undefined if it is not one. */
function readLink(entry: string): string | undefined {
  try {
    return readlinkSync(entry);
  } catch (thrown) {
    if ((thrown as { code?: string }).code === 'EINVAL') return undefined;
    throw thrown;
  }
}

function segmentsOf(path: string): string[] {
  const segments: string[] = [];
  for (const segment of path.split('/')) if (segment !== '' && segment !== '.') segments.push(segment);
  return segments;
}

/**
 * Whether a symlink with this target may be made (or moved, or linked)
 * through the capability: relative and with no `..` anywhere, so it points
 * down from wherever it is and no rename of it or of a directory above it
 * can make it point out of the grant.
 */
export function isDownwardTarget(target: string): boolean {
  return target !== '' && !posix.isAbsolute(target) && !target.includes('\0') && !target.split('/').includes('..');
}
