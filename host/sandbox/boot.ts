import { Worker } from 'node:worker_threads';
import { DEFAULT_MEMORY_LIMIT_BYTES } from '../component/memory-ceiling.js';
import { workerEntry } from '../worker-entry.js';

/** The least JS heap a sandbox worker is given: the glue and the host's capabilities need some 10-20 MB of it. */
const MIN_HEAP_MB = 64;

/**
 * The worker's JS heap bound for a lane whose manager may have `memoryLimitBytes`
 * of linear memory: the same figure. What the heap holds beyond the glue is the
 * manager's values lifted out of that memory (results, log lines, queries),
 * which are no larger than the memory they came from; past the bound V8 ends
 * the worker (ERR_WORKER_OUT_OF_MEMORY) and the lane replaces it.
 */
export function workerHeapMb(memoryLimitBytes: number): number {
  return Math.max(MIN_HEAP_MB, Math.ceil(memoryLimitBytes / (1024 * 1024)));
}

/**
 * A sandbox worker thread with its code loaded and nothing else: no
 * component, no grants. It waits for one `init` message (the component and
 * the grants) before it instantiates anything, which lets `berth host` boot
 * it on the other core while the main thread is still loading and checking
 * the config (with the default memory limit's heap bound: a lane given
 * another limit boots a worker of its own instead).
 */
export function bootSandboxWorker(memoryLimitBytes = DEFAULT_MEMORY_LIMIT_BYTES): Worker {
  const entry = workerEntry(import.meta.url, 'worker');
  const worker = new Worker(entry.file, {
    execArgv: entry.execArgv,
    // the manager sees no environment anyway; the worker itself needs none of the host's
    env: {},
    stdout: false,
    stderr: false,
    // a manager's calls make little garbage: a small young generation keeps the idle footprint down
    resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: workerHeapMb(memoryLimitBytes) },
  });
  // until a lane adopts it nobody listens: a failure then must not be an unhandled 'error' event (a crash);
  // the lane sees the worker gone and starts another, which reports the failure
  worker.on('error', () => undefined);
  return worker;
}
