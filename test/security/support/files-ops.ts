import { renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Descriptor } from '../../../host/generated/interfaces/wasi-filesystem-types.js';
import { listing, outcome } from './files-checks.js';
import { SECRET, SENTINEL } from './files-layout.js';

/**
 * One step of a generated attack: a file operation through one lane's
 * capability (on a directory descriptor that lane opened earlier, or its
 * root), or another process (a granted program, the datastore) renaming
 * or planting a symlink straight in the grant, as the kernel lets it.
 */
export type FileOp =
  | { kind: 'mkdir' | 'unlink' | 'rmdir' | 'stat' | 'read' | 'write' | 'list' | 'open-dir'; lane: number; at: number; path: string }
  | { kind: 'symlink'; lane: number; at: number; target: string; path: string }
  | { kind: 'rename' | 'link'; lane: number; at: number; path: string; to: number; toPath: string }
  /** A symlink made one directory deeper than `path`, then renamed to `path`: its target is checked where it was made. */
  | { kind: 'raise'; lane: number; at: number; target: string; path: string }
  /** `path` renamed aside, so that what a descriptor opened on it is no longer under that name. */
  | { kind: 'move-away'; lane: number; at: number; path: string }
  | { kind: 'outside-rename'; path: string; toPath: string }
  | { kind: 'outside-symlink'; target: string; path: string };

/** Names the steps use: few, so that steps collide on the same entries. */
const names = ['a/b', '.', 'x', 'a/l', '../outside'];
/** Stands for the sentinel tree's absolute path, which changes from run to run. */
export const ABSOLUTE_OUTSIDE = '<outside>';
/** Link targets that stay inside or lead out, depending on where the link ends up, and an absolute one. */
const targets = ['../../outside', '../outside', ABSOLUTE_OUTSIDE];

export function fileOps(): fc.Arbitrary<FileOp[]> {
  const lane = fc.integer({ min: 0, max: 1 });
  const at = fc.nat({ max: 3 });
  const path = fc.constantFrom(...names);
  // the other process acts on the grant's own entries only: what it does beside it, or through
  // a symlink it follows, is not the manager's doing
  const inGrant = fc.constantFrom('a', 'l');
  const target = fc.constantFrom(...targets);
  const plain = fc.record({ kind: fc.constantFrom('unlink', 'rmdir', 'stat', 'write' as const), lane, at, path });
  const makes = fc.record({ kind: fc.constantFrom('mkdir', 'open-dir' as const), lane, at, path });
  const looks = fc.record({ kind: fc.constantFrom('read', 'list' as const), lane, at, path });
  const op: fc.Arbitrary<FileOp> = fc.oneof(
    { weight: 3, arbitrary: plain },
    { weight: 4, arbitrary: makes },
    { weight: 3, arbitrary: looks },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('symlink' as const), lane, at, target, path }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('rename' as const), lane, at, path, to: at, toPath: path }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('link' as const), lane, at, path, to: at, toPath: path }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('raise' as const), lane, at, target, path }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('move-away' as const), lane, at, path }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('outside-rename' as const), path: inGrant, toPath: inGrant }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('outside-symlink' as const), target, path: inGrant }) },
  );
  // size 'max': fast-check's default keeps arrays short, and an attack takes several steps in order
  return fc.array(op, { minLength: 1, maxLength: 40, size: 'max' });
}

/** What the lanes hold: each lane's root descriptor first, then the directories it opened. */
export type Held = Descriptor[][];

/**
 * Runs one step; returns what it read or listed (empty for other steps), so
 * the caller can check that nothing outside the grant ever came back.
 * Refusals are expected and ignored: the property is about effects.
 */
export function applyOp(step: FileOp, held: Held, grant: string, outside: string): string[] {
  const op = 'target' in step && step.target === ABSOLUTE_OUTSIDE ? { ...step, target: outside } : step;
  if (op.kind === 'outside-rename') {
    outcome(() => renameSync(join(grant, op.path), join(grant, op.toPath)));
    return [];
  }
  if (op.kind === 'outside-symlink') {
    outcome(() => symlinkSync(op.target, join(grant, op.path)));
    return [];
  }
  const mine = held[op.lane]!;
  const dir = mine[op.at % mine.length]!;
  const seen: string[] = [];
  outcome(() => {
    switch (op.kind) {
      case 'mkdir':
        return dir.createDirectoryAt(op.path);
      case 'unlink':
        return dir.unlinkFileAt(op.path);
      case 'rmdir':
        return dir.removeDirectoryAt(op.path);
      case 'stat':
        return void dir.statAt({ symlinkFollow: true }, op.path);
      case 'symlink':
        return dir.symlinkAt(op.target, op.path);
      case 'raise':
        outcome(() => dir.createDirectoryAt(`${op.path}.d`));
        dir.symlinkAt(op.target, `${op.path}.d/l`);
        return dir.renameAt(`${op.path}.d/l`, dir, op.path);
      case 'move-away':
        return dir.renameAt(op.path, dir, `${op.path}.gone`);
      case 'rename':
        return dir.renameAt(op.path, mine[op.to % mine.length]!, op.toPath);
      case 'link':
        return dir.linkAt({ symlinkFollow: true }, op.path, mine[op.to % mine.length]!, op.toPath);
      case 'write': {
        const file = dir.openAt({ symlinkFollow: true }, op.path, { create: true }, { write: true });
        file.write(new TextEncoder().encode('written by the manager'), 0n);
        return;
      }
      case 'read': {
        const file = dir.openAt({ symlinkFollow: true }, op.path, {}, { read: true });
        seen.push(new TextDecoder().decode(file.read(4096n, 0n)[0]));
        return;
      }
      case 'list': {
        const opened = dir.openAt({ symlinkFollow: true }, op.path, { directory: true }, { read: true });
        seen.push(...listing(opened));
        return;
      }
      case 'open-dir':
        mine.push(dir.openAt({ symlinkFollow: true }, op.path, { directory: true }, { read: true, mutateDirectory: true }));
        return;
    }
  });
  return seen;
}

/**
 * True when something a step returned came from outside the grant: the
 * sentinel content, or the name of the sentinel tree's directory (no step
 * makes that name; steps may make 'sentinel-a.txt' in the grant themselves).
 */
export function leaked(seen: readonly string[]): boolean {
  return seen.some((text) => text.includes(SECRET) || text === `${SENTINEL}nested`);
}
