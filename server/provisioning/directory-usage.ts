import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Past this many entries the walk stops and the answer is unknown: a show must not stall on a huge volume. */
const MAX_ENTRIES = 200_000;

/**
 * Bytes allocated under a directory, like `du -s`: what a directory volume
 * uses. Symlinks are counted as themselves, never followed; entries that
 * vanish while walking (a datastore is writing) are skipped.
 */
export async function directoryUsedBytes(root: string): Promise<number | undefined> {
  let total = 0;
  let entries = 0;
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (++entries > MAX_ENTRIES) return undefined;
      const path = join(dir, name);
      const stats = await lstat(path).catch(() => undefined);
      if (!stats) continue;
      total += stats.blocks * 512;
      if (stats.isDirectory()) pending.push(path);
    }
  }
  return total;
}
