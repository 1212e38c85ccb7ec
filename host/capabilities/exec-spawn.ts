import { spawn } from 'node:child_process';
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import type { Command } from '../generated/interfaces/berth-datastore-exec.js';
import { capabilityFailure } from './failure.js';
import type { ExecRules } from './exec-rules.js';

// O_NOFOLLOW: a symlink the manager planted as the log must not redirect the append;
// O_NONBLOCK: a FIFO planted there must not block the host (refused below as not a file).
const LOG_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** The log file, opened for appending; only a regular file will do. */
function openLog(rules: ExecRules, logPath: string): number {
  const hostPath = rules.writableFile('log path', logPath);
  let fd: number;
  try {
    fd = openSync(hostPath, LOG_FLAGS, 0o640);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return rules.deny(`log path ${logPath}`, 'is a symlink');
    return rules.invalid(`log path ${logPath}: cannot be opened for appending (${code ?? String(error)})`);
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    return rules.invalid(`log path ${logPath}: not a regular file`);
  }
  return fd;
}

/**
 * berth:datastore/exec `spawn`: a daemon that does not fork itself (mariadbd)
 * started in its own session, with no stdin and its output appended to a log
 * in the volume. The host keeps no hold on it: it outlives the call, the
 * worker and the guest host, as a datastore should across host restarts.
 */
export function spawnDetached(rules: ExecRules, command: Command, logPath: string): number {
  const program = rules.choose(command.program);
  rules.checkArguments(program, command.args);
  if (command.stdin !== undefined) rules.invalid(`program ${command.program}: a spawned program reads no stdin`);
  if (command.timeoutMs !== undefined) rules.invalid(`program ${command.program}: a spawned program has no timeout`);
  const env = rules.environment(command.env);
  const cwd = rules.workingDirectory(command.cwd);
  const log = openLog(rules, logPath);
  try {
    const child = spawn(program.real, command.args, {
      // Multi-call programs dispatch on the name they were started by, as with `run`.
      argv0: program.granted,
      cwd,
      env,
      stdio: ['ignore', log, log],
      // setsid(): no signal meant for the host's process group or terminal reaches it.
      detached: true,
      shell: false,
    });
    // A start failure (ENOENT, EACCES) is also emitted later as 'error': unheard, it would crash the worker.
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) throw new Error(`${program.real} did not start`);
    return child.pid;
  } catch (error) {
    throw capabilityFailure({ tag: 'failed', val: `program ${command.program}: could not start ${program.real}: ${error instanceof Error ? error.message : String(error)}` });
  } finally {
    closeSync(log);
  }
}
