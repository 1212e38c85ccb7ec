import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BerthError } from '../errors/berth-error.js';
import { WIT_DIR, WORLD_NAME } from './paths.js';

const require = createRequire(import.meta.url);

/** JS engines a manager can be built with; the default was chosen on measured figures (BENCHMARKS.md). */
export const BACKENDS = ['quickjs', 'starlingmonkey'] as const;
export type Backend = (typeof BACKENDS)[number];
export const DEFAULT_BACKEND: Backend = 'quickjs';

export function isBackend(value: string): value is Backend {
  return (BACKENDS as readonly string[]).includes(value);
}

/** Versions that go into the build cache key: a toolchain upgrade rebuilds. */
export function toolchainVersions(): Record<string, string> {
  // Read from disk: some of these packages do not export their package.json. Looked up where
  // Node resolves them from here: the repository's node_modules, or, for the installed SDK
  // package, the project's node_modules its dependencies were hoisted into.
  const version = (name: string) => {
    const found = (require.resolve.paths(name) ?? []).map((dir) => join(dir, name, 'package.json')).find((path) => existsSync(path));
    if (!found) throw new BerthError('BERTH_ERR_BUILD_BACKEND', `the toolchain package ${name} is not installed`, 'run `npm install` in the project (or the repository)');
    return (JSON.parse(readFileSync(found, 'utf8')) as { version: string }).version;
  };
  return {
    node: process.version,
    jco: version('@bytecodealliance/jco'),
    'componentize-js': version('@bytecodealliance/componentize-js'),
    'componentize-qjs': version('componentize-qjs'),
    esbuild: version('esbuild'),
  };
}

async function componentizeQuickJs(source: string): Promise<Uint8Array> {
  const { componentize } = await import('componentize-qjs');
  const { component } = await componentize({ witPath: WIT_DIR, jsSource: source, world: WORLD_NAME, sync: true });
  return new Uint8Array(component);
}

/**
 * componentize-js reads its inputs through preview2-shim and wizer leaves
 * temporary directories behind on failure, so it runs in a private scratch
 * directory that is removed afterwards, with read access to just that and wit/.
 */
async function componentizeStarlingMonkey(source: string): Promise<Uint8Array> {
  const scratch = await mkdtemp(join(tmpdir(), 'berth-build-'));
  const previousTmp = process.env.TMPDIR;
  try {
    const sourcePath = join(scratch, 'manager.js');
    await writeFile(sourcePath, source);
    // preview2-shim (and its I/O thread) loads only for a StarlingMonkey build
    const { grantToolchainRead } = await import('./toolchain-fs.js');
    grantToolchainRead([WIT_DIR, scratch]);
    process.env.TMPDIR = scratch;
    const { componentize } = await import('@bytecodealliance/componentize-js');
    const { component } = await componentize({
      sourcePath,
      witPath: WIT_DIR,
      worldName: WORLD_NAME,
      disableFeatures: ['http', 'fetch-event'],
    });
    return new Uint8Array(component);
  } finally {
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
    await rm(scratch, { recursive: true, force: true });
  }
}

export async function componentizeWith(backend: Backend, source: string): Promise<Uint8Array> {
  try {
    return backend === 'quickjs' ? await componentizeQuickJs(source) : await componentizeStarlingMonkey(source);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new BerthError(
      'BERTH_ERR_BUILD_COMPONENTIZE',
      `the ${backend} backend could not componentize the manager: ${message.split('\n').slice(0, 12).join('\n')}`,
      'a top-level error in the manager module (see above) or a WIT mismatch; run the entry through `tsc` first',
      { cause: error },
    );
  }
}
