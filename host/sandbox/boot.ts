import { Worker } from 'node:worker_threads';
import { workerEntry } from '../worker-entry.js';

/**
 * A sandbox worker thread with its code loaded and nothing else: no
 * component, no grants. It waits for one `init` message (the component and
 * the grants) before it instantiates anything, which lets `berth host` boot
 * it on the other core while the main thread is still loading and checking
 * the config.
 */
export function bootSandboxWorker(): Worker {
  const entry = workerEntry(import.meta.url, 'worker');
  const worker = new Worker(entry.file, {
    execArgv: entry.execArgv,
    // the manager sees no environment anyway; the worker itself needs none of the host's
    env: {},
    stdout: false,
    stderr: false,
    // a manager's calls make little garbage: a small young generation keeps the idle footprint down
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
  });
  // until a lane adopts it nobody listens: a failure then must not be an unhandled 'error' event (a crash);
  // the lane sees the worker gone and starts another, which reports the failure
  worker.on('error', () => undefined);
  return worker;
}
