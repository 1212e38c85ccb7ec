import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  [key: string]: unknown;
}

type Packages = Record<string, LockEntry>;

/** Where Node finds `name` from the package at `from` (a lock path, '' for the root): the nearest node_modules up the tree. */
function resolveIn(packages: Packages, from: string, name: string): string | undefined {
  let at = from;
  for (;;) {
    const candidate = at ? `${at}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!at) return undefined;
    const up = at.lastIndexOf('/node_modules/');
    at = up < 0 ? '' : at.slice(0, up);
  }
}

/**
 * A package-lock.json for a scaffolded manager project whose @berth/sdk is
 * the packed tarball: every other package as the repository's own lock has
 * it (same versions, same integrity, same places), so `npm install --offline`
 * finds each tarball in the npm cache `npm ci` filled, and needs no registry
 * metadata (npm 11 fetches full packuments to resolve a range; the cache holds
 * none). A real author, online, needs no lock: this only keeps the test offline.
 */
export function writeProjectLock(projectDir: string, tarball: string): void {
  const repoLock = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package-lock.json'), 'utf8')) as { packages: Packages };
  const project = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as { name: string; version: string; devDependencies: Record<string, string> };
  const sdk = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'datastores', 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string> };
  const spec = `file:${relative(projectDir, tarball)}`;
  const devDependencies = { ...project.devDependencies, [sdk.name]: spec };
  const packages: Packages = {
    '': { name: project.name, version: project.version, devDependencies },
    [`node_modules/${sdk.name}`]: {
      version: sdk.version,
      resolved: spec,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      dev: true,
      dependencies: sdk.dependencies,
      bin: sdk.bin,
      engines: sdk.engines,
    },
  };
  const pending: Array<[string, Record<string, string>]> = [
    ['', Object.fromEntries(Object.entries(devDependencies).filter(([name]) => name !== sdk.name))],
    ['', sdk.dependencies],
  ];
  while (pending.length > 0) {
    const [from, deps] = pending.pop()!;
    for (const name of Object.keys(deps)) {
      const path = resolveIn(repoLock.packages, from, name);
      if (!path || packages[path]) continue;
      const entry = { ...repoLock.packages[path]! };
      // everything here is a devDependency of the project
      delete entry.optional;
      delete entry.devOptional;
      delete entry.peer;
      const optional = Boolean(repoLock.packages[path]!.optional);
      packages[path] = { ...entry, dev: true, ...(optional ? { optional: true } : {}) };
      const required = Object.fromEntries(
        Object.entries(entry.peerDependencies ?? {}).filter(([peer]) => !entry.peerDependenciesMeta?.[peer]?.optional),
      );
      pending.push([path, { ...entry.dependencies, ...entry.optionalDependencies, ...required }]);
    }
  }
  writeFileSync(join(projectDir, 'package-lock.json'), `${JSON.stringify({ name: project.name, version: project.version, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);
}
