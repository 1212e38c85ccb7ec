import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { bundleManager } from './bundle.js';
import { typecheckManager } from './typecheck.js';
import { componentizeWith, toolchainVersions, DEFAULT_BACKEND, type Backend } from './backends.js';
import { readWorld, checkManagerWorld } from './world-check.js';
import { appendCustomSection } from './wasm-binary.js';
import { MANIFEST_SECTION, encodeManifest, type ManagerManifest } from './manifest.js';
import { CACHE_DIR, WIT_DIR } from './paths.js';
import { sha256 } from './digest.js';
import { publishOnce, writeAtomically } from './cache-file.js';

export { sha256 };

/**
 * Instantiates the built component with nothing granted and reads its
 * manifest. Loading a component is the guest host's job, which sits above the
 * toolchain's format code; the caller hands the host's loader in
 * (host/component/describe.ts) so that nothing here imports the host.
 */
export type DescribeComponent = (component: Uint8Array, label: string) => Promise<ManagerManifest>;

export interface BuildOptions {
  entry: string;
  describe: DescribeComponent;
  /** Where to write the component; omitted = only the cache. */
  out?: string;
  backend?: Backend;
  /** Reuse a component built from identical inputs (default true). */
  cache?: boolean;
  /** Typecheck the entry against the generated contract types first (default true). */
  typecheck?: boolean;
}

export interface BuildResult {
  bytes: Uint8Array;
  manifest: ManagerManifest;
  backend: Backend;
  sha256: string;
  /** True when the component came from the content-hashed cache. */
  cached: boolean;
  timings: { bundleMs: number; typecheckMs: number; componentizeMs: number; checkMs: number };
  cachePath: string;
}

async function witFingerprint(): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.wit')) hash.update(relative(WIT_DIR, path)).update('\0').update(await readFile(path)).update('\0');
    }
  };
  await walk(WIT_DIR);
  return hash.digest('hex');
}

/** Inputs that decide the component's content: bundled source, WIT, backend and toolchain versions. */
async function cacheKey(source: string, backend: Backend): Promise<string> {
  return createHash('sha256')
    .update(JSON.stringify({ backend, toolchain: toolchainVersions(), wit: await witFingerprint() }))
    .update('\0')
    .update(source)
    .digest('hex');
}

/**
 * Bundle, componentize against wit/, check the result implements the manager
 * world, embed its manifest in a custom section, and write it out.
 */
export async function buildManager(options: BuildOptions): Promise<BuildResult> {
  const backend = options.backend ?? DEFAULT_BACKEND;
  let started = performance.now();
  const source = await bundleManager(options.entry, backend);
  const bundleMs = performance.now() - started;

  const key = await cacheKey(source, backend);
  const cachePath = join(CACHE_DIR, 'components', `${key}.wasm`);
  const manifestPath = `${cachePath}.manifest.json`;
  if (options.cache !== false) {
    const hit = await readFile(cachePath).catch(() => undefined);
    const manifest = await readFile(manifestPath, 'utf8').then((text) => JSON.parse(text) as ManagerManifest).catch(() => undefined);
    if (hit && manifest) {
      const bytes = new Uint8Array(hit);
      if (options.out) await writeAtomically(options.out, bytes);
      return { bytes, manifest, backend, sha256: sha256(bytes), cached: true, timings: { bundleMs, typecheckMs: 0, componentizeMs: 0, checkMs: 0 }, cachePath };
    }
  }

  // Identical bundles typecheck identically, so only a cache miss pays for it.
  started = performance.now();
  if (options.typecheck !== false) typecheckManager(options.entry);
  const typecheckMs = performance.now() - started;

  started = performance.now();
  const component = await componentizeWith(backend, source);
  const componentizeMs = performance.now() - started;

  started = performance.now();
  const label = options.out ?? options.entry;
  checkManagerWorld(await readWorld(component), label);
  const manifest = await options.describe(component, label);
  const built = appendCustomSection(component, MANIFEST_SECTION, encodeManifest(manifest));
  const checkMs = performance.now() - started;

  // another build of the same key may have got there first: its bytes are the ones on disk, and the answer
  // (cache: false asked for this build's own bytes, which the cache may not hold)
  const cached = await publishOnce(cachePath, built);
  const bytes = options.cache === false ? built : cached;
  await publishOnce(manifestPath, new TextEncoder().encode(JSON.stringify(manifest)));
  if (options.out) await writeAtomically(options.out, bytes);
  return { bytes, manifest, backend, sha256: sha256(bytes), cached: false, timings: { bundleMs, typecheckMs, componentizeMs, checkMs }, cachePath };
}
