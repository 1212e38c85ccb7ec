/// <reference path="./berth-datastore-types.d.ts" />
declare module 'berth:datastore/exec@0.2.0' {
  /**
   * Run a program to completion. A non-zero exit is a `completed`, not an
   * error. Errors: denied (not granted: also a relative path, or a path
   * that is not the granted one), invalid (bad cwd, environment or timeout),
   * failed (could not start).
   */
  export function run(command: Command): Completed;
  /**
   * Start a long-running program (a datastore daemon that does not fork
   * itself) and return its process id without waiting for it. The same
   * rules as `run` apply to the program, its arguments, environment and
   * cwd; `stdin` and `timeout-ms` must be none, since a detached program
   * has no input and no deadline. Its stdout and stderr are appended to
   * `log-path`, a guest path inside a directory granted read-write (the
   * file is created if missing). The program runs in its own session, so
   * it outlives the call. It is stopped through the datastore (a shutdown
   * command) or, for a datastore that has none, with `signal`; `status`
   * says whether it still runs and how it ended. The host reaps it when it
   * exits, whichever worker asked for it. When the host stops, it ends
   * every spawned program still running but the datastore (the one
   * listening where a connection grant points), which outlives the host.
   * At most the host's spawn limit of programs run at once (spawned and
   * alive, and runs in flight); past it `run` and `spawn` are denied.
   * Errors: denied (program not granted, log path outside a read-write
   * grant, spawn limit reached), invalid (bad cwd, environment, log path,
   * stdin or timeout), failed (could not start).
   */
  export function spawn(command: Command, logPath: string): number;
  /**
   * Send `sig` to a program `spawn` returned `pid` for, in this run of the
   * host (a datastore kept from before a host restart is not this host's).
   * Only the program itself is signalled (not its process group, nor what
   * it started). Allowed only while it still runs: the host keeps each
   * spawned program's pid and start time and reaps it itself, so a pid
   * reused by another process is never signalled. This is no `kill`
   * program: nothing else (the host, pid 1, another instance's processes,
   * a program a granted one daemonised) can be signalled through it.
   * Errors: denied (not a pid this host spawned, or the program has
   * ended), failed (the signal could not be sent).
   */
  export function signal(pid: number, sig: SpawnedSignal): void;
  /**
   * Whether a program `spawn` started (by `pid`) still runs, and how it
   * ended if it has: its exit code or signal. The host remembers the last
   * programs that ended (at least its spawn limit of them). Errors: denied
   * (not a pid this host spawned, or one it no longer remembers).
   */
  export function status(pid: number): SpawnedStatus;
  export type CapabilityError = import('berth:datastore/types@0.2.0').CapabilityError;
  export type KeyValue = import('berth:datastore/types@0.2.0').KeyValue;
  export interface Command {
    /**
     * An absolute path granted by the config, or the file name of exactly
     * one granted program. Relative paths, and paths that resolve
     * (through symlinks) to anything else, are denied.
     */
    program: string,
    args: Array<string>,
    /**
     * Bytes fed to the program's standard input; none = empty input.
     */
    stdin?: Uint8Array,
    /**
     * Environment of the program: only these variables, plus those the
     * config grants. The host's own environment never leaks in.
     */
    env: Array<KeyValue>,
    /**
     * Working directory: a guest path inside a granted directory; none = "/".
     */
    cwd?: string,
    /**
     * Kill the program after this long; none = the host's default. The
     * host caps it at its own maximum.
     */
    timeoutMs?: number,
  }
  export interface Completed {
    /**
     * Exit code; none when a signal ended the program.
     */
    exitCode?: number,
    /**
     * The signal that ended it ("SIGKILL"), if any.
     */
    signal?: string,
    stdout: Uint8Array,
    stderr: Uint8Array,
    /**
     * True when the host killed the program at its timeout.
     */
    timedOut: boolean,
    /**
     * True when output beyond the host's cap was dropped.
     */
    truncated: boolean,
  }
  /**
   * The signals `signal` may send: no other signal, and no signal to
   * anything but a program this host spawned.
   * # Variants
   * 
   * ## `"term"`
   * 
   * SIGTERM: ask the program to end (a datastore's shutdown).
   * ## `"int"`
   * 
   * SIGINT: PostgreSQL's fast shutdown, etcd's and Redis's clean stop.
   * ## `"hup"`
   * 
   * SIGHUP: reload the configuration.
   * ## `"kill"`
   * 
   * SIGKILL: end it at once.
   */
  export type SpawnedSignal = 'term' | 'int' | 'hup' | 'kill';
  /**
   * What became of a program `spawn` started.
   */
  export interface SpawnedStatus {
    /**
     * True while it runs; false once it has ended (it has been reaped).
     */
    running: boolean,
    /**
     * Its exit code, once it exited by itself.
     */
    exitCode?: number,
    /**
     * The signal that ended it ("SIGTERM"), if one did.
     */
    signal?: string,
  }
}
