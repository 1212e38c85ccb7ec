import { ManagerError } from '../sdk/index.js';
import { paths, type MyContext } from './options.js';

/** The server's error log and what mariadbd printed before it opened it. */
export function listLogs(ctx: MyContext) {
  const dir = paths(ctx).log;
  if (!ctx.files.exists(dir)) return [];
  return ctx.files
    .list(dir)
    .filter((entry) => entry.type === 'regular-file')
    .map((entry) => ({ name: entry.name, kind: 'system' as const, status: 'enabled' as const, size: BigInt(ctx.files.size(`${dir}/${entry.name}`)), published: 0n }));
}

export function readLog(ctx: MyContext, name: string, offset: bigint, maxBytes: number) {
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith('.')) throw ManagerError.invalidArgument('name', `${name} is not a log of this guest`);
  const path = `${paths(ctx).log}/${name}`;
  if (!ctx.files.exists(path)) throw ManagerError.notFound(`log ${name}`);
  const data = ctx.files.readRange(path, Number(offset), Math.min(maxBytes, 1024 * 1024));
  const next = Number(offset) + data.length;
  return { data, nextOffset: BigInt(next), eof: next >= ctx.files.size(path) };
}

/** df of the volume, in the contract's units. */
export function filesystemStats(ctx: MyContext, path: string) {
  const lines = ctx.exec.check('df', ['-kP', path]).stdout.trim().split('\n');
  const fields = lines[lines.length - 1]!.split(/\s+/);
  const [total, used, free] = [Number(fields[1]) * 1024, Number(fields[2]) * 1024, Number(fields[3]) * 1024];
  if (![total, used, free].every(Number.isFinite)) throw ManagerError.failed(`df printed something unexpected: ${lines.join(' | ')}`);
  return { blockSize: 1024n, totalBlocks: BigInt(total / 1024), freeBlocks: BigInt(free / 1024), total: BigInt(total), free: BigInt(free), used: BigInt(used) };
}
