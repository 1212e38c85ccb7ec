import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface WorkerEntry {
  /** File to pass to `new Worker(...)`. */
  file: string;
  /** Node flags for the worker: the TypeScript loader when Berth runs from source (tests). */
  execArgv: string[];
}

/**
 * file: URL of tsx's ESM API. On Node 20, tsx installs its hooks from
 * `--import tsx` only in the main thread, so a worker's .ts entry would fail
 * with "Unknown file extension"; registering through the API works in a worker.
 */
function tsxRegisterFlag(): string[] {
  try {
    // the CommonJS resolution names the .cjs build; its ESM twin sits beside it
    const api = createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs');
    if (!existsSync(api)) return [];
    const source = `import{register}from${JSON.stringify(pathToFileURL(api).href)};register();`;
    return ['--import', `data:text/javascript,${encodeURIComponent(source)}`];
  } catch {
    return [];
  }
}

/**
 * The worker module `name` beside the module at `from` (pass import.meta.url).
 * From dist/ it is plain JS; from source (vitest) it is TypeScript, loaded
 * through tsx, which only the tests install.
 */
export function workerEntry(from: string, name: string): WorkerEntry {
  const fromSource = from.endsWith('.ts');
  const file = fileURLToPath(new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, from));
  return { file, execArgv: fromSource ? tsxRegisterFlag() : [] };
}
