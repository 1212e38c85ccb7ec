import { filesystemStats as dfStats, listLogDirectory, readLogDirectory } from '../sdk/index.js';
import { paths, type MyContext } from './options.js';

/** The server's error log and what mariadbd printed before it opened it. */
export function listLogs(ctx: MyContext) {
  return listLogDirectory(ctx.files, paths(ctx).log);
}

export function readLog(ctx: MyContext, name: string, offset: bigint, maxBytes: number) {
  return readLogDirectory(ctx.files, paths(ctx).log, name, offset, maxBytes);
}

/** df of the volume, in the contract's units. */
export function filesystemStats(ctx: MyContext, path: string) {
  return dfStats(ctx.exec, path);
}
