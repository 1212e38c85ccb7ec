import { readdirSync, type BigIntStats } from 'node:fs';
import type * as Types from '../generated/interfaces/wasi-filesystem-types.js';
import { asFilesystemError } from './fs-errors.js';

// What files-descriptor.ts reports of files: their types, stats and identity, directory listings, and Node's errors as wasi codes.

/** Runs `action`, turning Node's errors into wasi:filesystem error codes. */
export function fs<T>(action: () => T): T {
  try {
    return action();
  } catch (thrown) {
    throw asFilesystemError(thrown);
  }
}

export function typeOf(stats: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): Types.DescriptorType {
  if (stats.isFile()) return 'regular-file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symbolic-link';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'character-device';
  if (stats.isBlockDevice()) return 'block-device';
  return 'unknown';
}

const NS = 1_000_000_000n;
const datetime = (ns: bigint) => ({ seconds: ns / NS, nanoseconds: Number(ns % NS) });

export function statOf(stats: BigIntStats): Types.DescriptorStat {
  return {
    type: typeOf(stats),
    linkCount: stats.nlink,
    size: stats.size,
    dataAccessTimestamp: datetime(stats.atimeNs),
    dataModificationTimestamp: datetime(stats.mtimeNs),
    statusChangeTimestamp: datetime(stats.ctimeNs),
  };
}

/** Seconds for Node's utimes, from a new-timestamp and the time it keeps on no-change. */
export function seconds(stamp: Types.NewTimestamp, currentNs: bigint): number {
  if (stamp.tag === 'now') return Date.now() / 1000;
  if (stamp.tag === 'timestamp') return Number(stamp.val.seconds) + stamp.val.nanoseconds / 1e9;
  return Number(currentNs) / 1e9;
}

/** The same file gives the same value while unchanged (inode, device; modification time and size). */
export function hashOf(stats: BigIntStats): Types.MetadataHashValue {
  const mask = (1n << 64n) - 1n;
  return { upper: (stats.mtimeNs ^ (stats.size << 17n)) & mask, lower: (stats.ino ^ (stats.dev << 32n)) & mask };
}

/**
 * wasi:filesystem's directory listing, read whole when asked for: a Dir kept
 * open until the manager drops the stream would be closed by the garbage
 * collector if it never does.
 */
export class BerthDirectoryEntryStream implements Types.DirectoryEntryStream {
  readonly #entries: Types.DirectoryEntry[];
  #next = 0;

  private constructor(entries: Types.DirectoryEntry[]) {
    this.#entries = entries;
  }

  static of(path: string): BerthDirectoryEntryStream {
    return new BerthDirectoryEntryStream(fs(() => readdirSync(path, { withFileTypes: true })).map((entry) => ({ name: entry.name, type: typeOf(entry) })));
  }

  readDirectoryEntry(): Types.DirectoryEntry | undefined {
    return this.#entries[this.#next++];
  }
}
