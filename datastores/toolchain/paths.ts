import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';

/** The package root, found from this file whether it runs from source or from dist/. */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'wit', 'world.wit'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the Berth package root (package.json beside wit/)');
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = findPackageRoot();
export const WIT_DIR = join(PACKAGE_ROOT, 'wit');
export const WORLD_NAME = 'manager';
export const SDK_DIR = join(PACKAGE_ROOT, 'datastores', 'sdk');
export const GUEST_TYPES_DIR = join(SDK_DIR, 'generated');
export const HOST_TYPES_DIR = join(PACKAGE_ROOT, 'host', 'generated');
/** Tool caches live where npm tools keep theirs: git-ignored, wiped with node_modules. */
export const CACHE_DIR = resolve(process.env.BERTH_CACHE_DIR ?? join(PACKAGE_ROOT, 'node_modules', '.cache', 'berth'));
