// Guest logs: the server's error log and console (system logs, always on) and
// the general and slow query logs (user logs, Trove's `general` and
// `slow_query`), switched on and off with SET GLOBAL now and an option file
// for every later start.
import type { GuestLogInfo, LogAction } from 'berth:datastore/guest-log@0.2.0';
import { filesystemStats as dfStats, listLogDirectory, ManagerError, readLogDirectory } from '../sdk/index.js';
import { paths, type MyContext } from './options.js';
import { isRunning } from './server.js';
import { literal, query, run } from './sql.js';
import { sizeOf } from './volume-files.js';

/** A user log: the server variable that switches it and the one that names its file. */
interface UserLog {
  switch: string;
  fileVariable: string;
  file: string;
}

export const USER_LOGS: Readonly<Record<string, UserLog>> = {
  general: { switch: 'general_log', fileVariable: 'general_log_file', file: 'general.log' },
  slow_query: { switch: 'slow_query_log', fileVariable: 'slow_query_log_file', file: 'slow_query.log' },
};

const userLog = (name: string): UserLog | undefined => (Object.hasOwn(USER_LOGS, name) ? USER_LOGS[name] : undefined);
const guestLogsConf = (ctx: MyContext) => `${paths(ctx).confDir}/berth-guest-logs.cnf`;
const userLogPath = (ctx: MyContext, log: UserLog) => `${paths(ctx).log}/${log.file}`;

/** The user logs the option file switches on. */
function enabledLogs(ctx: MyContext): Set<string> {
  const path = guestLogsConf(ctx);
  if (!ctx.files.exists(path)) return new Set();
  const text = ctx.files.readText(path);
  return new Set(Object.entries(USER_LOGS).filter(([, log]) => new RegExp(`^${log.switch} = 1$`, 'm').test(text)).map(([name]) => name));
}

function writeEnabled(ctx: MyContext, enabled: ReadonlySet<string>): void {
  const lines = ['# Written by the Berth MySQL manager: the user logs guest-log-action switched on.', '[mysqld]'];
  for (const [name, log] of Object.entries(USER_LOGS)) {
    lines.push(`${log.switch} = ${enabled.has(name) ? 1 : 0}`, `${log.fileVariable} = ${userLogPath(ctx, log)}`);
  }
  ctx.files.writeText(guestLogsConf(ctx), `${lines.join('\n')}\n`);
}

function userLogInfo(ctx: MyContext, name: string, log: UserLog, enabled: boolean): GuestLogInfo {
  return { name, kind: 'user', status: enabled ? 'enabled' : 'disabled', size: BigInt(sizeOf(ctx, userLogPath(ctx, log))), published: 0n };
}

/** The server's error log and what mariadbd printed before it opened it, then the user logs. */
export function listLogs(ctx: MyContext): GuestLogInfo[] {
  const userFiles = new Set(Object.values(USER_LOGS).map((log) => log.file));
  const system = listLogDirectory(ctx.files, paths(ctx).log).filter((info) => !userFiles.has(info.name));
  const enabled = enabledLogs(ctx);
  return [...system, ...Object.entries(USER_LOGS).map(([name, log]) => userLogInfo(ctx, name, log, enabled.has(name)))];
}

/** enable and disable switch a user log (now, when the server runs, and at every start); publish and discard are the server's and change nothing here. */
export function logAction(ctx: MyContext, name: string, action: LogAction): GuestLogInfo {
  const log = userLog(name);
  if (!log) {
    const system = listLogs(ctx).find((info) => info.name === name);
    if (!system) throw ManagerError.notFound(`log ${name}`);
    if (action === 'enable' || action === 'disable') throw ManagerError.invalidArgument('action', `${name} is a system log: it is always on and cannot be ${action}d`);
    return system;
  }
  const enabled = enabledLogs(ctx);
  if (action === 'enable' || action === 'disable') {
    const on = action === 'enable';
    if (on) enabled.add(name);
    else enabled.delete(name);
    writeEnabled(ctx, enabled);
    if (isRunning(ctx)) {
      run(`${action} ${name}`, () => {
        if (on) query(ctx, `SET GLOBAL ${log.fileVariable} = ${literal(userLogPath(ctx, log), 'name')}`);
        query(ctx, `SET GLOBAL ${log.switch} = ${on ? 'ON' : 'OFF'}`);
      });
    }
  }
  return userLogInfo(ctx, name, log, enabled.has(name));
}

/** A user log by its name (its file is <name>.log), a system log by its file's. */
export function readLog(ctx: MyContext, name: string, offset: bigint, maxBytes: number) {
  const log = userLog(name);
  if (!log && Object.values(USER_LOGS).some((user) => user.file === name)) throw ManagerError.notFound(`log ${name}`);
  return readLogDirectory(ctx.files, paths(ctx).log, log ? log.file : name, offset, maxBytes);
}

/** df of the volume, in the contract's units. */
export function filesystemStats(ctx: MyContext, path: string) {
  return dfStats(ctx.exec, path);
}
