import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import type { Command } from '../generated/interfaces/berth-datastore-exec.js';
import { capabilityFailure } from './failure.js';
import type { ExecRules } from './exec-rules.js';
import type { ChildAnswer, ChildOwner } from './exec-children.js';

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
 * in the volume. The program is checked here, in the asking thread, and
 * started by the owner of spawned children (exec-children.ts: the host's
 * main thread), which reaps it whatever becomes of the worker that asked. It
 * outlives the call and the worker; it takes one of the `host.spawn_limit`
 * slots while it lives, and a host that stops ends it unless it is the
 * datastore (exec-stop.ts), which must outlive host restarts.
 */
export function spawnDetached(rules: ExecRules, owner: ChildOwner, command: Command, logPath: string): number {
  const program = rules.choose(command.program);
  const args = rules.checkArguments(program, command.args);
  if (command.stdin !== undefined) rules.invalid(`program ${command.program}: a spawned program reads no stdin`);
  if (command.timeoutMs !== undefined) rules.invalid(`program ${command.program}: a spawned program has no timeout`);
  const env = rules.environment(command.env);
  const cwd = rules.workingDirectory(command.cwd);
  const log = openLog(rules, logPath);
  let answer: ChildAnswer;
  try {
    answer = owner.request({ op: 'spawn', order: { program: command.program, real: program.real, argv0: program.granted, args, cwd, env, logFd: log } });
  } finally {
    closeSync(log);
  }
  if ('ok' in answer && answer.ok === 'spawned') return answer.pid;
  if ('overLimit' in answer) return rules.overLimit(command.program, answer.overLimit);
  throw capabilityFailure({ tag: 'failed', val: 'failed' in answer ? answer.failed : `program ${command.program}: could not start ${program.real}` });
}
