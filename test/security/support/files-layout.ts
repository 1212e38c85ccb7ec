import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildManager, type BuildResult } from '../../../datastores/toolchain/build.js';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { describeComponent } from '../../../host/component/describe.js';

/** The hostile file manager (test/security/managers/file-escape.ts), built with the real toolchain. */
export function buildFileEscape(): Promise<BuildResult> {
  return buildManager({ describe: describeComponent, entry: join(PACKAGE_ROOT, 'test', 'security', 'managers', 'file-escape.ts'), backend: 'quickjs' });
}

/** The sentinel tree's content, and the prefix of every name in it: in anything a manager read or listed, it escaped. */
export const SECRET = 'sentinel-secret-never-read';
export const SENTINEL = 'sentinel-';

/**
 * A temp dir holding the grant (`grant`, the directory a manager gets) and,
 * beside it, a sentinel tree (`outside`) with known names, contents and
 * times that nothing a manager does may change or read.
 */
export interface Layout {
  root: string;
  grant: string;
  outside: string;
  cleanup(): Promise<void>;
}

export async function makeLayout(): Promise<Layout> {
  const root = await mkdtemp(join(tmpdir(), 'berth-sec-files-'));
  const grant = join(root, 'grant');
  const outside = join(root, 'outside');
  await mkdir(grant);
  await mkdir(join(outside, 'sentinel-nested'), { recursive: true });
  await writeFile(join(outside, 'sentinel-a.txt'), SECRET);
  await writeFile(join(outside, 'sentinel-nested', 'sentinel-b.txt'), SECRET);
  return { root, grant, outside, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/**
 * Everything about a tree a manager could change: each entry's relative
 * path, type, content or target, mode, link count and modification and
 * access times (a read changes atime only where the file system records it;
 * the content never).
 */
export function snapshot(dir: string): string[] {
  const lines: string[] = [];
  const visit = (relative: string) => {
    const path = join(dir, relative);
    const stats = lstatSync(path, { bigint: true });
    const what = stats.isSymbolicLink() ? `-> ${readlinkSync(path)}` : stats.isFile() ? `= ${readFileSync(path, 'utf8')}` : stats.isDirectory() ? 'dir' : 'other';
    lines.push(`${relative || '.'} ${what} mode=${stats.mode} nlink=${stats.nlink} mtime=${stats.mtimeNs} ctime=${stats.ctimeNs}`);
    if (stats.isDirectory()) for (const name of readdirSync(path).sort()) visit(relative ? `${relative}/${name}` : name);
  };
  visit('');
  return lines;
}
