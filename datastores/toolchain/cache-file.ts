import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

const temporaryName = (path: string) => `${path}.${process.pid}.${randomUUID()}.tmp`;

/** Written whole under a name of its own, then renamed over `path`: a reader sees the old file or the new, never half of one. */
export async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = temporaryName(path);
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}

/**
 * The cache's entries are written once and never replaced: two builds of the
 * same key that miss at once (two test workers, two `berth build`s) each
 * componentize, and the output is not byte-for-byte reproducible, so a
 * second rename would change the file under a config that already pinned
 * the first one's sha256. The first writer wins (link fails with EEXIST
 * for the second), and every builder answers with the bytes on disk.
 */
export async function publishOnce(path: string, bytes: Uint8Array): Promise<Uint8Array> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = temporaryName(path);
  await writeFile(temporary, bytes);
  try {
    await link(temporary, path);
    return bytes;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return new Uint8Array(await readFile(path));
    // a file system without hard links: the rename is still atomic, only not exclusive
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
      await rename(temporary, path);
      return bytes;
    }
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}
