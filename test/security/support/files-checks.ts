import { spawn } from 'node:child_process';
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createFiles } from '../../../host/capabilities/files.js';
import type { Descriptor } from '../../../host/generated/interfaces/wasi-filesystem-types.js';

/** The symlinks beneath `grant` whose target, taken from where each link is now, lands outside it. */
export function escapingLinks(grant: string): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stats = lstatSync(path);
      if (stats.isSymbolicLink()) {
        const lands = resolve(dirname(path), readlinkSync(path));
        if (lands !== grant && relative(grant, lands).startsWith('..')) found.push(`${relative(grant, path)} -> ${readlinkSync(path)}`);
      } else if (stats.isDirectory()) visit(path);
    }
  };
  visit(grant);
  return found;
}

/** A read-write grant of `grant` as /data, through the real capability; a second call is a second, independent lane. */
export function lane(grant: string, denials: string[] = []): Descriptor {
  const files = createFiles([{ hostPath: grant, guestPath: '/data', access: 'read-write' }], (capability, what) => denials.push(`${capability}: ${what}`));
  return (files.preopens.getDirectories() as [[Descriptor, string]])[0][0];
}

/** What a call did: 'ok', or the wasi error code it threw. */
export function outcome(action: () => unknown): string {
  try {
    const value = action();
    return typeof value === 'string' ? `ok:${value}` : 'ok';
  } catch (thrown) {
    return String(thrown);
  }
}

export function listing(dir: Descriptor): string[] {
  const stream = dir.readDirectory();
  const names: string[] = [];
  for (let entry = stream.readDirectoryEntry(); entry; entry = stream.readDirectoryEntry()) names.push(entry.name);
  return names.sort();
}

/**
 * Another process (what a granted program, or anything else running as the
 * datastore's user, can do) swapping `real`, a directory, and `link`, a
 * symlink, in and out of the name `flip` in `dir`, `rounds` times.
 */
export function swapper(dir: string, rounds: number): Promise<void> {
  const child = spawn(process.execPath, [
    '-e',
    `const fs = require('node:fs'); const [d, rounds] = [process.argv[1], Number(process.argv[2])];
     for (let i = 0; i < rounds; i++) {
       try { fs.renameSync(d + '/real', d + '/flip'); fs.renameSync(d + '/flip', d + '/real'); } catch {}
       try { fs.renameSync(d + '/link', d + '/flip'); fs.renameSync(d + '/flip', d + '/link'); } catch {}
     }`,
    dir,
    String(rounds),
  ]);
  return new Promise((resolvePromise) => child.once('exit', () => resolvePromise()));
}
