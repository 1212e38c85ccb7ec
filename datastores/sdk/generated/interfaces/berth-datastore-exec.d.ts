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
   * it outlives the call; it is stopped through the datastore (a shutdown
   * command), not through this interface. When the host stops, it ends
   * every spawned program still running but the datastore (the one
   * listening where a connection grant points), which outlives the host.
   * At most the host's spawn limit of programs run at once (spawned and
   * alive, and runs in flight); past it `run` and `spawn` are denied.
   * Errors: denied (program not granted, log path outside a read-write
   * grant, spawn limit reached), invalid (bad cwd, environment, log path,
   * stdin or timeout), failed (could not start).
   */
  export function spawn(command: Command, logPath: string): number;
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
}
