// get-filesystem-stats through a granted `df`: wasi:filesystem has no statvfs.
import { ManagerError } from './errors.js';
import type { check as Check } from './capabilities/exec.js';

/** `df -kP <path>`, in the contract's units (bytes, 1 KiB blocks). */
export function filesystemStats(exec: { check: typeof Check }, path: string) {
  const lines = exec.check('df', ['-kP', path]).stdout.trim().split('\n');
  const fields = lines[lines.length - 1]!.split(/\s+/);
  const [total, used, free] = [Number(fields[1]) * 1024, Number(fields[2]) * 1024, Number(fields[3]) * 1024];
  if (![total, used, free].every(Number.isFinite)) throw ManagerError.failed(`df printed something unexpected: ${lines.join(' | ')}`);
  return { blockSize: 1024n, totalBlocks: BigInt(total / 1024), freeBlocks: BigInt(free / 1024), total: BigInt(total), free: BigInt(free), used: BigInt(used) };
}
