import type { GuestLogInfo, LogChunk } from 'berth:datastore/guest-log@0.2.0';
import { ManagerError } from '../sdk/index.js';
import { layoutOf } from './layout.js';
import type { RedisContext } from './options.js';

/** redis-server's own log (logfile): the one log Redis has, always on. */
export const SERVER_LOG = 'redis';

export function listLogs(ctx: RedisContext): GuestLogInfo[] {
  const path = layoutOf(ctx).logFile;
  const exists = ctx.files.exists(path);
  return [{ name: SERVER_LOG, kind: 'system', status: exists ? 'enabled' : 'unavailable', size: BigInt(exists ? ctx.files.size(path) : 0), published: 0n }];
}

export function readLog(ctx: RedisContext, name: string, offset: bigint, maxBytes: number): LogChunk {
  const path = layoutOf(ctx).logFile;
  if (name !== SERVER_LOG || !ctx.files.exists(path)) throw ManagerError.notFound(`log ${name}`);
  // the whole file: the SDK's files capability has no ranged read
  const log = ctx.files.readBytes(path);
  if (offset > BigInt(log.length)) throw ManagerError.invalidArgument('offset', `${offset} is past the end of the log (${log.length} bytes)`);
  const start = Number(offset);
  const data = log.slice(start, start + maxBytes);
  return { data, nextOffset: BigInt(start + data.length), eof: start + data.length >= log.length };
}
