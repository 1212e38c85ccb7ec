import './engine-flags.js';
import { transpile } from '@bytecodealliance/jco';

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

export async function transpileComponent(bytes: Uint8Array): Promise<TranspiledComponent> {
  const { files, imports, exports } = await transpile(bytes, {
    name: 'manager',
    instantiation: 'async',
    importBindings: 'hybrid',
    noTypescript: true,
    quiet: true,
  });
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
