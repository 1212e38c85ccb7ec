import { constants, Script } from 'node:vm';
import type { InstantiateFunction } from './compile.js';

/**
 * jco's glue (instantiation mode) is an ES module of 1.3 MB that imports
 * nothing: as a module, each sandbox worker parses and compiles it afresh
 * (about 45 ms), because Node 20 caches no module code. Rewritten once into
 * a classic script (its two `export`s dropped, its one `import.meta.url`,
 * which only a missing getCoreModule reaches, made undefined) it can carry
 * a V8 code cache, which the transpile cache keeps beside it: a worker then
 * loads it in a few ms. Output of another shape stays the module it is.
 *
 * The code cache is trusted exactly as much as the glue itself: both come
 * from the host's own cache directory.
 */
export type PreparedGlue = { readonly kind: 'script' | 'module'; readonly source: string };

export interface LoadedGlue {
  readonly instantiate: InstantiateFunction;
  /**
   * V8's code cache for the glue, taken now (after warm-up it holds the
   * functions compiled so far), when the cache given was missing or refused;
   * undefined when the given one was used or the glue could not be cached.
   */
  freshCodeCache(): Uint8Array | undefined;
}

/** jco's instantiation-mode output exports exactly these two, each at the start of a line. */
const EXPORTS = ['\nexport function instantiate(', '\nexport const _util = '];
const EXPORT = 'export ';
const IMPORT_META_URL = 'import.meta.url';

function occurrences(source: string, text: string): number[] {
  const found: number[] = [];
  for (let index = source.indexOf(text); index !== -1; index = source.indexOf(text, index + text.length)) found.push(index);
  return found;
}

/**
 * The glue as a script whose value is `instantiate`, when it has the one
 * shape known. Spliced by position: a regex replace over 1.3 MB costs
 * 10-20 ms. Done once, in the thread that transpiles, so that each worker
 * receives the script and keeps a single copy of it.
 */
export function prepareGlue(source: string): PreparedGlue {
  const exports = occurrences(source, `\n${EXPORT}`);
  if (exports.length !== EXPORTS.length || EXPORTS.some((text) => occurrences(source, text).length !== 1)) return { kind: 'module', source };
  const cuts = [
    ...exports.map((at) => ({ at: at + 1, length: EXPORT.length, put: '' })),
    ...occurrences(source, IMPORT_META_URL).map((at) => ({ at, length: IMPORT_META_URL.length, put: 'undefined' })),
  ].sort((a, b) => a.at - b.at);
  const pieces = ["(function () {\n'use strict';\n"];
  let from = 0;
  for (const cut of cuts) {
    pieces.push(source.slice(from, cut.at), cut.put);
    from = cut.at + cut.length;
  }
  pieces.push(source.slice(from), '\nreturn instantiate;\n})');
  return { kind: 'script', source: pieces.join('') };
}

export async function loadGlue(glue: PreparedGlue, codeCache?: Uint8Array): Promise<LoadedGlue> {
  if (glue.kind === 'module') return loadAsModule(glue.source);
  const script = new Script(glue.source, {
    filename: 'manager.js',
    cachedData: codeCache,
    // the glue's fallback fetch of core modules imports node:fs/promises; resolve it as the module would
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const instantiate = (script.runInThisContext() as () => InstantiateFunction)();
  const reuse = codeCache !== undefined && script.cachedDataRejected === false;
  return {
    instantiate,
    freshCodeCache: () => (reuse ? undefined : new Uint8Array(script.createCachedData())),
  };
}

async function loadAsModule(source: string): Promise<LoadedGlue> {
  const module = (await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`)) as { instantiate: InstantiateFunction };
  return { instantiate: module.instantiate, freshCodeCache: () => undefined };
}
