import './engine-flags.js';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A component made ready to instantiate many times: JS glue plus compiled core modules. */
export interface CompiledComponent {
  /** jco's `instantiate(getCoreModule, imports, instantiateCore)`. */
  readonly instantiate: InstantiateFunction;
  readonly coreModules: ReadonlyMap<string, WebAssembly.Module>;
  /** Unversioned import names the component needs ("wasi:config/store"). */
  readonly imports: readonly string[];
  /** Exported names ("databases", "berth:datastore/databases@0.1.0"). */
  readonly exports: ReadonlyArray<readonly [string, 'function' | 'instance']>;
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
 * and the glue is a data: URL (it has no imports of its own in instantiation
 * mode), so nothing is written to disk.
 */
export interface TranspiledComponent {
  readonly glueUrl: string;
  readonly coreModules: ReadonlyMap<string, WebAssembly.Module>;
  readonly imports: readonly string[];
  readonly exports: ReadonlyArray<readonly [string, 'function' | 'instance']>;
}

type TranspiledFiles = { files: Record<string, Uint8Array>; imports: string[]; exports: Array<[string, 'function' | 'instance']> };

async function transpileFiles(bytes: Uint8Array): Promise<TranspiledFiles> {
  // loaded only on a cache miss: jco is the heaviest thing a host could load
  const { transpile } = await import('@bytecodealliance/jco');
  return transpile(bytes, {
    name: 'manager',
    instantiation: 'async',
    importBindings: 'hybrid',
    noTypescript: true,
    quiet: true,
  });
}

/**
 * jco's transpile is most of a host's start-up (~250 ms for a QuickJS
 * manager), and its output depends only on the component's bytes and jco's
 * version: keep it in `cacheDir` under that key.
 */
async function cachedTranspile(bytes: Uint8Array, cacheDir: string | undefined): Promise<TranspiledFiles> {
  if (!cacheDir) return transpileFiles(bytes);
  const key = createHash('sha256').update(bytes).update(JCO_VERSION).digest('hex');
  const dir = join(cacheDir, key);
  try {
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as Omit<TranspiledFiles, 'files'> & { names: string[] };
    const files: Record<string, Uint8Array> = {};
    for (const name of meta.names) files[name] = new Uint8Array(await readFile(join(dir, name)));
    return { files, imports: meta.imports, exports: meta.exports };
  } catch {
    const fresh = await transpileFiles(bytes);
    // jco emits .d.ts files as well, whatever noTypescript says: keep only what runs
    fresh.files = Object.fromEntries(Object.entries(fresh.files).filter(([name]) => name.endsWith('.wasm') || name === 'manager.js'));
    const staging = `${dir}.${process.pid}.tmp`;
    try {
      await mkdir(staging, { recursive: true });
      for (const [name, content] of Object.entries(fresh.files)) await writeFile(join(staging, name), content);
      await writeFile(join(staging, 'meta.json'), JSON.stringify({ imports: fresh.imports, exports: fresh.exports, names: Object.keys(fresh.files) }));
      await rename(staging, dir);
    } catch {
      await rm(staging, { recursive: true, force: true }); // another host filled it first, or the cache is read-only
    }
    return fresh;
  }
}

export async function transpileComponent(bytes: Uint8Array, cacheDir?: string): Promise<TranspiledComponent> {
  const { files, imports, exports } = await cachedTranspile(bytes, cacheDir);
  const coreModules = new Map<string, WebAssembly.Module>();
  let glue: Uint8Array | undefined;
  for (const [name, content] of Object.entries(files)) {
    if (name.endsWith('.wasm')) coreModules.set(name, await WebAssembly.compile(content));
    else if (name === 'manager.js') glue = content;
  }
  if (!glue) throw new Error('jco produced no manager.js glue');
  const glueUrl = `data:text/javascript;base64,${Buffer.from(readDebugFlagOnce(new TextDecoder().decode(glue))).toString('base64')}`;
  return { glueUrl, coreModules, imports, exports };
}

/** Load the glue of a transpiled component (in whichever thread will instantiate it). */
export async function loadComponent(transpiled: TranspiledComponent): Promise<CompiledComponent> {
  const module = (await import(transpiled.glueUrl)) as { instantiate: InstantiateFunction };
  return { instantiate: module.instantiate, coreModules: transpiled.coreModules, imports: transpiled.imports, exports: transpiled.exports };
}

/** Transpile, compile and load in this thread. */
export async function compileComponent(bytes: Uint8Array): Promise<CompiledComponent> {
  return loadComponent(await transpileComponent(bytes));
}
