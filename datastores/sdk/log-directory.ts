// Guest logs kept as files in one directory of the volume: what most
// datastores have. A manager lists and reads them with these two calls.
import { ManagerError } from './errors.js';
import type { files as Files } from './capabilities/files.js';

type FilesCapability = typeof Files;

const LOG_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const MAX_CHUNK = 1024 * 1024;

/** guest-log-list over the regular files of `directory` (none while it does not exist). */
export function listLogDirectory(files: FilesCapability, directory: string) {
  if (!files.exists(directory)) return [];
  return files
    .list(directory)
    .filter((entry) => entry.type === 'regular-file')
    .map((entry) => ({ name: entry.name, kind: 'system' as const, status: 'enabled' as const, size: BigInt(files.size(`${directory}/${entry.name}`)), published: 0n }));
}

/** guest-log-read of one file of `directory`; a name that could leave it is refused. */
export function readLogDirectory(files: FilesCapability, directory: string, name: string, offset: bigint | number, maxBytes: number) {
  if (!LOG_NAME.test(name)) throw ManagerError.invalidArgument('name', `${name} is not a log of this guest`);
  const path = `${directory}/${name}`;
  if (!files.exists(path)) throw ManagerError.notFound(`log ${name}`);
  const data = files.readRange(path, Number(offset), Math.min(maxBytes, MAX_CHUNK));
  const next = Number(offset) + data.length;
  return { data, nextOffset: BigInt(next), eof: next >= files.size(path) };
}
