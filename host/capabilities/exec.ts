import { spawnSync, type SpawnSyncOptionsWithBufferEncoding } from 'node:child_process';
import type * as Exec from '../generated/interfaces/berth-datastore-exec.js';
import { capabilityFailure, type DenialReporter } from './failure.js';
import { createExecRules, type ExecGrant } from './exec-rules.js';
import { spawnDetached } from './exec-spawn.js';
import { createProgramTable, DEFAULT_SPAWN_LIMIT, ProgramSlots } from './exec-slots.js';
import { SpawnedChildren, type ChildOwner } from './exec-children.js';
import { createSpawnedSignals } from './exec-signal.js';

export type { ExecGrant } from './exec-rules.js';

/**
 * berth:datastore/exec over the programs a guest config allow-lists. A
 * program is run directly (never through a shell) with only the granted
 * environment plus the variables the manager adds, which may not override
 * granted ones: the operator's values (PGHOST, a PATH) are what the grant
 * promises. Output beyond the cap makes spawnSync kill the program (ENOBUFS):
 * the run ends early with the output kept so far and `truncated`. Runs in
 * flight and spawned programs alive count against one limit (exec-slots.ts).
 * Spawned programs are started, reaped and signalled by `children`, their
 * owner (exec-children.ts): in a host, a line to its main thread; without
 * one, this thread owns them.
 */
export function createExec(grant: ExecGrant, onDenied?: DenialReporter, children?: ChildOwner): typeof Exec {
  const rules = createExecRules(grant, onDenied);
  const slots = new ProgramSlots(grant.programTable ?? createProgramTable(DEFAULT_SPAWN_LIMIT));
  const owner = children ?? new SpawnedChildren(slots);
  const signals = createSpawnedSignals(owner, onDenied);

  return {
    run(command) {
      const program = rules.choose(command.program);
      const args = rules.checkArguments(program, command.args);
      const env = rules.environment(command.env);
      const cwd = rules.workingDirectory(command.cwd);
      const limit = grant.outputLimitBytes;
      const options: SpawnSyncOptionsWithBufferEncoding & { detached: boolean } = {
        // Multi-call programs (Debian's pg_wrapper, busybox) dispatch on the name they were started by.
        argv0: program.granted,
        cwd,
        env,
        input: command.stdin ?? new Uint8Array(0),
        timeout: rules.timeout(command.timeoutMs),
        killSignal: 'SIGKILL',
        maxBuffer: limit,
        shell: false,
        stdio: 'pipe',
        // Its own process group, so that a kill also reaches what it started (a shell's children).
        // spawnSync honours it although @types/node leaves it out.
        detached: true,
        windowsHide: true,
      };
      // a run holds a slot while it runs: two lanes, and workers replaced mid-run, run at once
      const result = slots.run(
        () => spawnSync(program.real, args, options),
        (limit) => rules.overLimit(command.program, limit),
      );
      const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
      const timedOut = code === 'ETIMEDOUT';
      const overflowed = code === 'ENOBUFS';
      if (timedOut || overflowed) killGroup(result.pid);
      // EPIPE only means the program exited without reading all of its stdin.
      if (result.error && !timedOut && !overflowed && code !== 'EPIPE') {
        throw capabilityFailure({ tag: 'failed', val: `program ${command.program}: could not run ${program.real}: ${result.error.message}` });
      }
      // spawnSync keeps the whole chunk that crossed maxBuffer: cut it back to the cap.
      const stdout = capped(result.stdout, limit);
      const stderr = capped(result.stderr, limit);
      return {
        exitCode: result.status ?? undefined,
        signal: result.signal ?? undefined,
        stdout,
        stderr,
        timedOut,
        truncated: overflowed || stdout.length < (result.stdout?.length ?? 0) || stderr.length < (result.stderr?.length ?? 0),
      };
    },
    spawn: (command, logPath) => spawnDetached(rules, owner, command, logPath),
    signal: (pid, sig) => signals.signal(pid, sig),
    status: (pid) => signals.status(pid),
  };
}

function capped(output: Buffer | null | undefined, limit: number): Uint8Array {
  return output ? new Uint8Array(output.subarray(0, limit)) : new Uint8Array(0);
}

function killGroup(pid: number | undefined): void {
  // pid 0 would be the host's own process group.
  if (!pid || pid <= 0) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}
