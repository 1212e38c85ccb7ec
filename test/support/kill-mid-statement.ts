import { Worker } from 'node:worker_threads';
import { workerEntry } from '../../host/worker-entry.js';

/**
 * What to watch for and whom to kill. `pid` is signalled as given: a negative
 * pid is a process group (a postmaster and its backends).
 */
export type KillWhenRunning =
  /** A statement whose text contains `marker` is active on the server. */
  | { kind: 'postgresql' | 'mysql'; port: number; marker: string; pid: number }
  /** A client runs the command `marker` (lower case: "blpop"). */
  | { kind: 'redis'; port: number; password: string; marker: string; pid: number };

/**
 * kill -9 a datastore while a statement runs on it. The connections
 * capability is synchronous: the test's thread blocks in the call, so the
 * watching and killing happen on a thread of their own, which polls the
 * server (as its superuser) until the statement shows, then kills. `done`
 * settles once it has, and rejects if the statement never showed.
 */
export function killWhenRunning(watch: KillWhenRunning): { done: Promise<void> } {
  const entry = workerEntry(import.meta.url, 'kill-mid-statement-worker');
  const worker = new Worker(entry.file, { workerData: watch, execArgv: entry.execArgv });
  const done = new Promise<void>((resolve, reject) => {
    worker.once('message', (message: { killed: boolean; error?: string }) => (message.killed ? resolve() : reject(new Error(message.error))));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the killing thread exited (${code}) before it killed`)));
  });
  return { done: done.finally(() => worker.terminate()) };
}
