import { spawn } from 'node:child_process';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { workerEntry } from '../worker-entry.js';

/** What the host keeps of jco's output: the glue (manager.js), the core modules, and the names of what the component imports and exports. */
export interface TranspiledFiles {
  files: Record<string, Uint8Array>;
  imports: string[];
  exports: Array<[string, 'function' | 'instance']>;
}

/** Turns a component's bytes into jco's output. */
export type Transpiler = (bytes: Uint8Array) => Promise<TranspiledFiles>;

/** jco emits .d.ts files as well, whatever noTypescript says: keep only what runs. */
const RUNS = (name: string) => name.endsWith('.wasm') || name === 'manager.js';

/** jco in this process: it stays loaded (about 80 MB) for the life of the process. */
export const transpileHere: Transpiler = async (bytes) => {
  // loaded only when needed: jco is the heaviest thing a host could load
  const { transpile } = await import('@bytecodealliance/jco');
  const out = await transpile(bytes, { name: 'manager', instantiation: 'async', importBindings: 'hybrid', noTypescript: true, quiet: true });
  return {
    files: Object.fromEntries(Object.entries(out.files).filter(([name]) => RUNS(name))),
    imports: out.imports,
    exports: out.exports as Array<[string, 'function' | 'instance']>,
  };
};

/** The child's answer on stdout: one JSON line, then the files' bytes back to back in the order the line lists them. */
type ChildHeader = { imports: string[]; exports: Array<[string, 'function' | 'instance']>; files: Array<[string, number]> } | { error: string; jcoMissing?: true };

/**
 * jco in a short-lived process of its own (transpile-child.ts): a guest host
 * runs for months, and one that transpiled its manager itself kept jco, its
 * native minifier and their threads resident all that time (an idle host at
 * 196 MiB against 117 MiB for one that found its transpile cache warm). The
 * bytes go over stdin, so the child transpiles exactly what the host checked.
 */
export const transpileInChildProcess: Transpiler = (bytes) =>
  new Promise((resolve, reject) => {
    const entry = workerEntry(import.meta.url, 'transpile-child');
    // jco is itself WebAssembly, run once: Liftoff's code alone gets it done soonest (780 -> 410 ms for a QuickJS manager)
    const child = spawn(process.execPath, ['--liftoff-only', ...entry.execArgv, entry.file], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4000)));
    child.on('error', reject);
    // a child that dies early closes its stdin: the write's EPIPE is that death, reported by 'close' below
    child.stdin.on('error', () => undefined);
    child.stdin.end(bytes);
    child.on('close', (code, signal) => {
      try {
        resolve(readChildAnswer(Buffer.concat(out)));
      } catch (error) {
        const detail = errors.trim().split('\n').slice(-3).join(' ');
        reject(error instanceof TranspileError || error instanceof BerthError ? error : new Error(`the transpile process ended (${signal ?? `exit ${code}`}) without an answer${detail ? `: ${detail}` : ''}`));
      }
    });
  });

/** jco's own refusal of the component, as the child reported it. */
class TranspileError extends Error {}

function readChildAnswer(answer: Buffer): TranspiledFiles {
  const newline = answer.indexOf(0x0a);
  if (newline < 0) throw new Error('no header');
  const header = JSON.parse(answer.subarray(0, newline).toString('utf8')) as ChildHeader;
  if ('error' in header && header.jcoMissing) {
    // a packed guest (`berth pack`) carries the transpile of its own manager, not jco
    throw new BerthError(
      'BERTH_ERR_TRANSPILE_UNAVAILABLE',
      'the transpile cache has no entry for this manager, and jco, which would make one, is not installed with this guest host',
      'pack this manager with `berth pack <manager.wasm>` and point host.cache_dir at the bundle\'s cache, or install the berth package',
    );
  }
  if ('error' in header) throw new TranspileError(header.error);
  const files: Record<string, Uint8Array> = {};
  let offset = newline + 1;
  for (const [name, size] of header.files) {
    if (offset + size > answer.length) throw new Error(`${name} cut short`);
    files[name] = new Uint8Array(answer.buffer, answer.byteOffset + offset, size);
    offset += size;
  }
  return { files, imports: header.imports, exports: header.exports };
}

/** The child's side: transpile stdin, answer on stdout in the form readChildAnswer reads. */
export async function answerAsTranspileChild(input: AsyncIterable<Buffer>, write: (chunk: Uint8Array | string) => void): Promise<boolean> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(chunk);
  try {
    const { files, imports, exports } = await transpileHere(Buffer.concat(chunks));
    const entries = Object.entries(files);
    write(`${JSON.stringify({ imports, exports, files: entries.map(([name, content]) => [name, content.byteLength]) } satisfies ChildHeader)}\n`);
    for (const [, content] of entries) write(content);
    return true;
  } catch (error) {
    const jcoMissing = (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes('@bytecodealliance/jco');
    write(`${JSON.stringify({ error: error instanceof Error ? error.message : String(error), ...(jcoMissing ? { jcoMissing: true as const } : {}) } satisfies ChildHeader)}\n`);
    return false;
  }
}
