/// <reference path="./berth-datastore-types.d.ts" />
declare module 'berth:datastore/exec@0.1.0' {
  /**
   * Run a program to completion. A non-zero exit is a `completed`, not an
   * error. Errors: denied (not granted: also a relative path, or a path
   * that is not the granted one), invalid (bad cwd, environment or timeout),
   * failed (could not start).
   */
  export function run(command: Command): Completed;
  export type CapabilityError = import('berth:datastore/types@0.1.0').CapabilityError;
  export type KeyValue = import('berth:datastore/types@0.1.0').KeyValue;
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
