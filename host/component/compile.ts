import './engine-flags.js';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { trustedByOwner, trustedEntry } from './cache-trust.js';
import { loadGlue, prepareGlue, type PreparedGlue } from './glue.js';
import { transpileHere, type TranspiledFiles, type Transpiler } from './jco-transpile.js';
import { liftDataSegments, openVerified, readKept, type LiftedData } from './lifted-data.js';
import { capMemories, DEFAULT_MEMORY_LIMIT_BYTES } from './memory-ceiling.js';

/** The memory ceiling a component's modules were compiled with (memory-ceiling.ts). */
export interface MemoryCeiling {
  readonly limitBytes: number;
  readonly ceilingPages: number;
  /** Per core module, the pages its memories may reach, each time it is instantiated. */
  readonly pages: ReadonlyMap<string, number>;
}

/** A component made ready to instantiate many times: JS glue plus compiled core modules. */
export interface CompiledComponent {
  /** jco's `instantiate(getCoreModule, imports, instantiateCore)`. */
  readonly instantiate: InstantiateFunction;
  readonly coreModules: ReadonlyMap<string, WebAssembly.Module>;
  /** Unversioned import names the component needs ("wasi:config/store"). */
  readonly imports: readonly string[];
  /** Exported names ("databases", "berth:datastore/databases@0.2.0"). */
  readonly exports: ReadonlyArray<readonly [string, 'function' | 'instance']>;
  readonly memory: MemoryCeiling;
  /** Core modules compiled without their data segments, which instantiation copies in (lifted-data.ts). */
  readonly liftedData: ReadonlyMap<string, LiftedData>;
}

export type InstantiateFunction = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance,
) => Promise<Record<string, unknown>>;

const DEBUG_LOOKUP = 'globalThis?.process?.env?.JCO_DEBUG';
const JCO_VERSION = 'jco-1.35-hybrid';

/**
 * jco's glue reads process.env.JCO_DEBUG on every call, and environment reads
 * cross into C++: a fifth of a trivial call. Read it once when the glue loads.
 */
function readDebugFlagOnce(glue: string): string {
  if (!glue.includes(DEBUG_LOOKUP)) return glue;
  return `const __berthJcoDebug = ${DEBUG_LOOKUP};\n${glue.replaceAll(DEBUG_LOOKUP, '__berthJcoDebug')}`;
}

/**
 * A component transpiled and compiled, in a form a Worker can receive:
 * WebAssembly.Module objects are shared between threads without recompiling,
 * and the glue is its source (it has no imports of its own in instantiation
 * mode), loaded by glue.ts in the thread that instantiates.
 */
export interface TranspiledComponent {
  /** jco's glue, its per-call JCO_DEBUG lookup hoisted, prepared by glue.ts. */
  readonly glue: PreparedGlue;
  /** V8's code cache for the glue, from the transpile cache or the first instance to warm up. */
  codeCache?: Uint8Array;
  /** This component's directory in the transpile cache, where its code cache is kept. */
  readonly cacheEntry?: string;
  readonly coreModules: ReadonlyMap<string, WebAssembly.Module>;
  readonly imports: readonly string[];
  readonly exports: ReadonlyArray<readonly [string, 'function' | 'instance']>;
  readonly memory: MemoryCeiling;
  readonly liftedData: ReadonlyMap<string, LiftedData>;
}

type CachedFiles = TranspiledFiles & {
  /** The cache entry they came from or went to, and the glue's code cache if one is there. */
  entry?: string;
  codeCache?: Uint8Array;
  /** Descriptors the core modules were read through (lifted-data.ts), when they came from the cache. */
  descriptors?: Map<string, number>;
};

/** V8 refuses a code cache from another V8 version or other flags; the name keeps one per version. */
const CODE_CACHE = `manager.js.v8-${process.versions.v8}.cache`;

/**
 * jco's transpile is most of a host's start-up (~250 ms for a QuickJS
 * manager), and its output depends only on the component's bytes and jco's
 * version: keep it in `cacheDir` under that key.
 */
async function cachedTranspile(bytes: Uint8Array, cacheDir: string | undefined, digest: string | undefined, transpile: Transpiler): Promise<CachedFiles> {
  if (!cacheDir) return transpile(bytes);
  // from the bytes' sha256, which the host has computed already: hashing 7 MB again costs 5 ms
  const key = createHash('sha256').update(`${JCO_VERSION}:${digest ?? createHash('sha256').update(bytes).digest('hex')}`).digest('hex');
  const dir = join(cacheDir, key);
  try {
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as Omit<CachedFiles, 'files'> & { names: string[] };
    // an entry someone else could have written is not read: transpiled again below, and replaced if we may
    if (!trustedEntry(cacheDir, dir, ['meta.json', ...meta.names])) throw new Error('untrusted cache entry');
    const descriptors = new Map<string, number>();
    const [contents, codeCache] = await Promise.all([
      Promise.all(meta.names.map((name) => (name.endsWith('.wasm') ? keep(descriptors, name, readKept(join(dir, name))) : readFile(join(dir, name))))),
      trustedByOwner(join(dir, CODE_CACHE)) ? readFile(join(dir, CODE_CACHE)).catch(() => undefined) : undefined,
    ]);
    const files = Object.fromEntries(meta.names.map((name, index) => [name, contents[index]!]));
    return { files, imports: meta.imports, exports: meta.exports, entry: dir, codeCache, descriptors };
  } catch {
    const fresh = await transpile(bytes);
    const staging = `${dir}.${process.pid}.tmp`;
    try {
      // writable by us alone whatever the umask: anything looser is not trusted when read back (cache-trust.ts)
      await mkdir(staging, { recursive: true, mode: 0o755 });
      for (const [name, content] of Object.entries(fresh.files)) await writeFile(join(staging, name), content, { mode: 0o644 });
      await writeFile(join(staging, 'meta.json'), JSON.stringify({ imports: fresh.imports, exports: fresh.exports, names: Object.keys(fresh.files) }), { mode: 0o644 });
      await rename(staging, dir);
    } catch {
      await rm(staging, { recursive: true, force: true }); // another host filled it first, or the cache is read-only
    }
    return { ...fresh, entry: dir };
  }
}

function keep(descriptors: Map<string, number>, name: string, read: { bytes: Buffer; fd: number }): Buffer {
  descriptors.set(name, read.fd);
  return read.bytes;
}

/**
 * `digest`: the bytes' hex sha256, when the caller has it. `transpile`: jco
 * in this process by default; a long-running host runs it in a process of
 * its own (jco-transpile.ts). `memoryLimitBytes`: host.memory_limit, built
 * into the modules as they are compiled (the transpile cache keeps them as
 * jco wrote them, so a changed limit needs no new transpile).
 */
export async function transpileComponent(
  bytes: Uint8Array,
  cacheDir?: string,
  digest?: string,
  transpile: Transpiler = transpileHere,
  memoryLimitBytes = DEFAULT_MEMORY_LIMIT_BYTES,
): Promise<TranspiledComponent> {
  const { files, imports, exports, entry, codeCache, descriptors } = await cachedTranspile(bytes, cacheDir, digest, transpile);
  const glue = files['manager.js'];
  if (!glue) throw new Error('jco produced no manager.js glue');
  const { modules: wasmFiles, liftedData } = liftFromCache(files, entry, descriptors);
  const capped = capMemories(wasmFiles, memoryLimitBytes);
  // compiled side by side: V8 decodes and validates each on its own background threads
  const wasm = [...capped.bytes];
  const modules = await Promise.all(wasm.map(([, content]) => WebAssembly.compile(content)));
  const coreModules = new Map(wasm.map(([name], index) => [name, modules[index]!]));
  const memory = { limitBytes: memoryLimitBytes, ceilingPages: capped.ceilingPages, pages: capped.pages };
  return { glue: prepareGlue(readDebugFlagOnce(new TextDecoder().decode(glue))), codeCache, cacheEntry: entry, coreModules, imports, exports, memory, liftedData };
}

/**
 * The core modules to compile: those whose data segments can be read back
 * from the transpile cache's copy at each instantiation without them
 * (lifted-data.ts); without a cache entry, every module as jco wrote it.
 */
function liftFromCache(files: TranspiledFiles['files'], entry: string | undefined, descriptors: Map<string, number> | undefined): { modules: Map<string, Uint8Array>; liftedData: Map<string, LiftedData> } {
  const modules = new Map<string, Uint8Array>();
  const liftedData = new Map<string, LiftedData>();
  for (const [name, bytes] of Object.entries(files)) {
    if (!name.endsWith('.wasm')) continue;
    const lifted = entry === undefined ? undefined : liftDataSegments(bytes);
    const fd = lifted && (descriptors?.get(name) ?? openVerified(join(entry!, name), bytes));
    if (!lifted || fd === undefined) {
      modules.set(name, bytes);
      continue;
    }
    modules.set(name, lifted.module);
    liftedData.set(name, { segments: lifted.segments, memoryExport: lifted.memoryExport, fd });
  }
  return { modules, liftedData };
}

/**
 * Keep the glue's code cache in the component's transpile-cache entry for
 * the next start (best effort: a read-only or vanished cache just means no
 * code cache next time).
 */
export async function saveCodeCache(transpiled: TranspiledComponent, codeCache: Uint8Array): Promise<void> {
  if (!transpiled.cacheEntry) return;
  const file = join(transpiled.cacheEntry, CODE_CACHE);
  const staging = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(staging, codeCache, { mode: 0o644 });
    await rename(staging, file);
  } catch {
    await rm(staging, { force: true });
  }
}

/**
 * Load the glue of a transpiled component (in whichever thread will
 * instantiate it). `freshCodeCache` as in glue.ts.
 */
export async function loadComponent(transpiled: TranspiledComponent): Promise<CompiledComponent & { freshCodeCache(): Uint8Array | undefined }> {
  const { instantiate, freshCodeCache } = await loadGlue(transpiled.glue, transpiled.codeCache);
  return { instantiate, freshCodeCache, coreModules: transpiled.coreModules, imports: transpiled.imports, exports: transpiled.exports, memory: transpiled.memory, liftedData: transpiled.liftedData };
}

/** Transpile, compile and load in this thread. */
export async function compileComponent(bytes: Uint8Array): Promise<CompiledComponent> {
  return loadComponent(await transpileComponent(bytes));
}
