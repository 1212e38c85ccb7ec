import { run as runImport, signal as signalImport, spawn as spawnImport, status as statusImport, type SpawnedSignal } from 'berth:datastore/exec@0.2.0';
import { ManagerError } from '../errors.js';
import { callCapability } from './call.js';
import { utf8 } from '../utf8.js';
import { noneAsUndefined } from '../engine.js';

export interface RunOptions {
  stdin?: string | Uint8Array;
  env?: Record<string, string>;
  /** Guest path inside a granted directory. */
  cwd?: string;
  timeoutMs?: number;
}

export interface RunResult {
  /** Undefined when a signal ended the program. */
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  stdoutBytes: Uint8Array;
  timedOut: boolean;
  truncated: boolean;
}

export interface SpawnOptions {
  /** Guest path inside a directory granted read-write: the program's stdout and stderr are appended to it. */
  log: string;
  env?: Record<string, string>;
  /** Guest path inside a granted directory. */
  cwd?: string;
}

/** Run a granted program (absolute path, or the file name of one granted program). No shell. */
export function run(program: string, args: readonly string[] = [], options: RunOptions = {}): RunResult {
  const stdin = typeof options.stdin === 'string' ? utf8.encode(options.stdin) : options.stdin;
  const completed = noneAsUndefined(callCapability('exec', () =>
    runImport({
      program,
      args: [...args],
      stdin,
      env: Object.entries(options.env ?? {}).map(([key, value]) => ({ key, value })),
      cwd: options.cwd,
      timeoutMs: options.timeoutMs,
    }),
  ));
  return {
    exitCode: completed.exitCode,
    signal: completed.signal,
    stdout: utf8.decode(completed.stdout),
    stderr: utf8.decode(completed.stderr),
    stdoutBytes: completed.stdout,
    timedOut: completed.timedOut,
    truncated: completed.truncated,
  };
}

/** Like run, but a non-zero exit, a signal or a timeout is a `failed` error quoting stderr. */
export function check(program: string, args: readonly string[] = [], options: RunOptions = {}): RunResult {
  const result = run(program, args, options);
  if (result.exitCode === 0 && !result.timedOut) return result;
  const how = result.timedOut ? 'timed out' : result.signal ? `was killed by ${result.signal}` : `exited with ${result.exitCode}`;
  const tail = result.stderr.trim().split('\n').slice(-5).join('\n');
  throw ManagerError.failed(`${program} ${how}${tail ? `: ${tail}` : ''}`);
}

/**
 * Start a granted program that runs until told otherwise (a daemon that does
 * not fork itself) and return its pid at once. It runs in its own session and
 * outlives the call; stop it through the datastore itself, or with `signal`
 * for a datastore that has no shutdown command. A host that stops
 * ends it unless it listens where a connection grant points (the datastore).
 * Denied past the host's spawn_limit of programs running at once.
 */
export function spawn(program: string, args: readonly string[], options: SpawnOptions): number {
  const env = Object.entries(options.env ?? {}).map(([key, value]) => ({ key, value }));
  return callCapability('exec', () => spawnImport({ program, args: [...args], stdin: undefined, env, cwd: options.cwd, timeoutMs: undefined }, options.log));
}

export type { SpawnedSignal };

export interface SpawnedStatus {
  /** True while it runs; false once it has ended. */
  running: boolean;
  /** Its exit code, once it exited by itself. */
  exitCode: number | undefined;
  /** The signal that ended it ("SIGTERM"), if one did. */
  signal: string | undefined;
}

/**
 * Send a signal ('term', 'int', 'hup' or 'kill') to a program `spawn`
 * started in this run of the host, by the pid spawn returned; only while it
 * runs. Denied for any other pid, and for one whose program has ended.
 */
export function signal(pid: number, sig: SpawnedSignal): void {
  callCapability('exec', () => signalImport(pid, sig));
}

/** Whether a program `spawn` started still runs, and its exit code or signal once it has ended. */
export function status(pid: number): SpawnedStatus {
  const found = noneAsUndefined(callCapability('exec', () => statusImport(pid)));
  return { running: found.running, exitCode: found.exitCode, signal: found.signal };
}
