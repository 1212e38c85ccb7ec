import { fileURLToPath } from 'node:url';

export interface WorkerEntry {
  /** File to pass to `new Worker(...)`. */
  file: string;
  /** Node flags for the worker: the TypeScript loader when Berth runs from source (tests). */
  execArgv: string[];
}

/**
 * The worker module `name` beside the module at `from` (pass import.meta.url).
 * From dist/ it is plain JS; from source (vitest) it is TypeScript, loaded
 * through tsx, which only the tests install.
 */
export function workerEntry(from: string, name: string): WorkerEntry {
  const fromSource = from.endsWith('.ts');
  const file = fileURLToPath(new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, from));
  return { file, execArgv: fromSource ? ['--import', 'tsx'] : [] };
}
