import {
  constants, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, futimesSync, linkSync, lstatSync, lutimesSync,
  mkdirSync, readSync, readlinkSync, renameSync, rmdirSync, symlinkSync, unlinkSync, utimesSync, writeSync, type BigIntStats,
} from 'node:fs';
import type * as Types from '../generated/interfaces/wasi-filesystem-types.js';
import { closeHandle, openHandle } from './files-handles.js';
import { FOLLOW, isDownwardTarget, walkBeneath, type Entry } from './files-paths.js';
import { BerthDirectoryEntryStream, fs, hashOf, seconds, statOf, typeOf } from './files-metadata.js';
import { fileSink, fileSource, SyncInputStream, SyncOutputStream } from './wasi-io.js';

const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');

/** What every descriptor of one grant shares: its directory, whether it may change, and who hears of refusals. */
export interface GrantContext {
  /** The granted directory, held open (found at first use: it may be made after the grant). */
  root(): number;
  /** After a walk from the root met no-entry: whether the root had been removed and is now opened anew (worth one retry). */
  renewRoot(): boolean;
  readonly readOnly: boolean;
  /** A change in a read-only grant: tells the operator, throws read-only. */
  refuse(what: string): never;
  /** Anything else the capability refuses (a FIFO, a symlink that would point out): tells the operator, throws not-permitted. */
  deny(what: string): never;
}

type Opened = { fd: number; type: Types.DescriptorType; flags: Types.DescriptorFlags };

/**
 * Every open is non-blocking (a FIFO's open waits for a writer, and a thread
 * blocked in open(2) can be neither interrupted nor terminated), never makes
 * a terminal the controlling one, and never follows a final symlink: the
 * walk follows symlinks itself, beneath the grant.
 */
const OPEN_FLAGS = constants.O_NONBLOCK | constants.O_NOCTTY | constants.O_NOFOLLOW;

/**
 * wasi:filesystem's descriptor, done with Node's synchronous calls on the
 * manager's own thread (preview2-shim sends every open, read, write and close
 * to its I/O thread and from there to libuv's pool: about 300 us per small
 * file on this project's machines, against 20-40 here). A directory
 * descriptor holds its directory open, never its path: every path is walked
 * from that descriptor (files-paths.ts) as the directories are now, and the
 * operation is done on the entry the walk ended on. Only regular files and
 * directories are opened; a read-only grant refuses every change. Its
 * streams are wasi-io.ts's, synchronous on the same thread.
 */
export class BerthDescriptor implements Types.Descriptor {
  readonly #grant: GrantContext;
  /** Undefined for a preopen, whose directory is its grant's (opened at first use). */
  #opened: Opened | undefined;

  private constructor(grant: GrantContext, opened?: Opened) {
    this.#grant = grant;
    this.#opened = opened;
  }

  static preopen(grant: GrantContext): BerthDescriptor {
    return new BerthDescriptor(grant);
  }

  /** The open file, or bad-descriptor for a preopen (a directory only walked from, never read) or a closed one. */
  #file(): Opened {
    if (!this.#opened) throw 'bad-descriptor';
    return this.#opened;
  }

  /** `act` on what `path` names beneath this directory, now; Node's errors as wasi codes. */
  #walk<T>(path: string, followFinal: boolean, act: (entry: Entry) => T | typeof FOLLOW): T {
    const opened = this.#opened;
    if (opened && opened.type !== 'directory') throw 'not-directory';
    if (opened) return fs(() => walkBeneath(opened.fd, path, followFinal, act));
    try {
      return fs(() => walkBeneath(this.#grant.root(), path, followFinal, act));
    } catch (thrown) {
      // a program may remove and make again the granted directory itself (a restore does): walk the new one
      if (thrown === 'no-entry' && this.#grant.renewRoot()) return fs(() => walkBeneath(this.#grant.root(), path, followFinal, act));
      throw thrown;
    }
  }

  /** This directory as a path the kernel resolves to it, wherever it is now. */
  #ownPath(): string {
    return `/proc/self/fd/${this.#opened?.fd ?? fs(() => this.#grant.root())}`;
  }

  #mutable(what: string): void {
    if (this.#grant.readOnly) this.#grant.refuse(what);
  }

  /** The other descriptor of a two-path call, which must be one of Berth's. */
  static #other(other: Types.Descriptor): BerthDescriptor {
    if (!(other instanceof BerthDescriptor)) throw 'bad-descriptor';
    return other;
  }

  /** The path of an entry a change names: never the walk's own directory ("." or a path ending in ".."). */
  static #named(entry: Entry, code: Types.ErrorCode): string {
    if (entry.name === undefined) throw code;
    return entry.path;
  }

  /** lstat of an entry (fstat of the directory itself), undefined when missing: no Node error (and its stack) for a miss. */
  static #lstat(entry: Entry): BigIntStats | undefined {
    return entry.name === undefined ? fstatSync(entry.dir, { bigint: true }) : lstatSync(entry.path, { bigint: true, throwIfNoEntry: false });
  }

  /** The stats of what `path` names, a final symlink followed (beneath the grant) only when asked. */
  #statsAt(pathFlags: Types.PathFlags, path: string): BigIntStats {
    return this.#walk(path, pathFlags.symlinkFollow ?? false, (entry) => {
      const stats = BerthDescriptor.#lstat(entry);
      if (!stats) throw 'no-entry';
      return entry.follow && stats.isSymbolicLink() ? FOLLOW : stats;
    });
  }

  /**
   * Refuses to move or link a symlink that could point out of the grant from
   * its new place: one a program made (the capability makes only downward ones).
   */
  #checkMovable(entry: Entry, what: string): void {
    const stats = BerthDescriptor.#lstat(entry);
    if (stats?.isSymbolicLink() && !isDownwardTarget(readlinkSync(entry.path))) {
      this.#grant.deny(`${what} of a symlink whose target is absolute or contains ".."`);
    }
  }

  /** A stream reads the descriptor's file at its own position; like the descriptor's children in WASI, it must go before the descriptor does. */
  readViaStream(offset: bigint): Types.InputStream {
    const file = this.#file();
    if (file.type === 'directory') throw 'is-directory';
    if (!file.flags.read) throw 'bad-descriptor';
    return SyncInputStream.of(fileSource(file.fd, offset));
  }

  writeViaStream(offset: bigint): Types.OutputStream {
    const file = this.#file();
    if (file.type === 'directory') throw 'is-directory';
    this.#mutable('writeViaStream');
    if (!file.flags.write) throw 'bad-descriptor';
    return SyncOutputStream.of(fileSink(file.fd, offset));
  }

  appendViaStream(): Types.OutputStream {
    return this.writeViaStream(this.stat().size);
  }

  advise(): void {
    this.#file();
  }

  syncData(): void {
    const file = this.#file();
    fs(() => fdatasyncSync(file.fd));
  }

  sync(): void {
    const file = this.#file();
    fs(() => fsyncSync(file.fd));
  }

  getFlags(): Types.DescriptorFlags {
    return this.#opened ? { ...this.#opened.flags } : { read: true, mutateDirectory: !this.#grant.readOnly };
  }

  getType(): Types.DescriptorType {
    return this.#opened?.type ?? 'directory';
  }

  setSize(size: bigint): void {
    const file = this.#file();
    this.#mutable('setSize');
    fs(() => ftruncateSync(file.fd, Number(size)));
  }

  setTimes(dataAccessTimestamp: Types.NewTimestamp, dataModificationTimestamp: Types.NewTimestamp): void {
    const file = this.#file();
    this.#mutable('setTimes');
    fs(() => {
      const now = fstatSync(file.fd, { bigint: true });
      futimesSync(file.fd, seconds(dataAccessTimestamp, now.atimeNs), seconds(dataModificationTimestamp, now.mtimeNs));
    });
  }

  read(length: bigint, offset: bigint): [Uint8Array, boolean] {
    const file = this.#file();
    if (file.type === 'directory') throw 'is-directory';
    if (!file.flags.read) throw 'bad-descriptor';
    const buffer = new Uint8Array(Number(length));
    const count = fs(() => readSync(file.fd, buffer, 0, buffer.length, offset));
    return [buffer.subarray(0, count), count === 0 && buffer.length > 0];
  }

  write(buffer: Uint8Array, offset: bigint): bigint {
    const file = this.#file();
    this.#mutable('write');
    if (file.type === 'directory') throw 'is-directory';
    if (!file.flags.write) throw 'bad-descriptor';
    return BigInt(fs(() => writeSync(file.fd, buffer, 0, buffer.length, Number(offset))));
  }

  readDirectory(): Types.DirectoryEntryStream {
    if (this.getType() !== 'directory') throw 'not-directory';
    return BerthDirectoryEntryStream.of(this.#ownPath());
  }

  createDirectoryAt(path: string): void {
    this.#mutable('createDirectoryAt');
    this.#walk(path, false, (entry) => mkdirSync(BerthDescriptor.#named(entry, 'exist')));
  }

  stat(): Types.DescriptorStat {
    return statOf(this.#stats());
  }

  statAt(pathFlags: Types.PathFlags, path: string): Types.DescriptorStat {
    return statOf(this.#statsAt(pathFlags, path));
  }

  setTimesAt(pathFlags: Types.PathFlags, path: string, dataAccessTimestamp: Types.NewTimestamp, dataModificationTimestamp: Types.NewTimestamp): void {
    this.#mutable('setTimesAt');
    this.#walk(path, pathFlags.symlinkFollow ?? false, (entry) => {
      const now = BerthDescriptor.#lstat(entry);
      if (!now) throw 'no-entry';
      if (entry.follow && now.isSymbolicLink()) return FOLLOW;
      const [atime, mtime] = [seconds(dataAccessTimestamp, now.atimeNs), seconds(dataModificationTimestamp, now.mtimeNs)];
      // the directory itself is reached through its /proc link, which only utimes follows; an entry is never followed
      if (entry.name === undefined) utimesSync(entry.path, atime, mtime);
      else lutimesSync(entry.path, atime, mtime);
    });
  }

  linkAt(oldPathFlags: Types.PathFlags, oldPath: string, newDescriptor: Types.Descriptor, newPath: string): void {
    const other = BerthDescriptor.#other(newDescriptor);
    // a link out of a read-only grant would make its file writable through the new name
    this.#mutable('linkAt');
    other.#mutable('linkAt');
    this.#walk(oldPath, oldPathFlags.symlinkFollow ?? false, (from) => {
      const stats = BerthDescriptor.#lstat(from);
      if (!stats) throw 'no-entry';
      if (from.follow && stats.isSymbolicLink()) return FOLLOW;
      if (stats.isDirectory()) throw 'not-permitted';
      this.#checkMovable(from, 'linkAt');
      const source = BerthDescriptor.#named(from, 'not-permitted');
      // the source's directories stay held while the destination is walked: both ends are as the kernel has them now
      other.#walk(newPath, false, (to) => linkSync(source, BerthDescriptor.#named(to, 'exist')));
    });
  }

  openAt(pathFlags: Types.PathFlags, path: string, openFlags: Types.OpenFlags, flags: Types.DescriptorFlags): Types.Descriptor {
    if (flags.write || openFlags.create || openFlags.truncate || openFlags.exclusive || flags.mutateDirectory) {
      this.#mutable(`opening ${path} for writing`);
    }
    if (flags.requestedWriteSync) throw 'unsupported';
    let mode = flags.read && flags.write ? constants.O_RDWR : flags.write ? constants.O_WRONLY : constants.O_RDONLY;
    if (openFlags.create) mode |= constants.O_CREAT;
    if (openFlags.directory || path.endsWith('/')) mode |= constants.O_DIRECTORY;
    if (openFlags.exclusive) mode |= constants.O_EXCL;
    if (openFlags.truncate) mode |= constants.O_TRUNC;
    if (flags.fileIntegritySync) mode |= constants.O_SYNC;
    if (flags.dataIntegritySync) mode |= constants.O_DSYNC;
    mode |= OPEN_FLAGS;
    const fd = this.#walk(path, pathFlags.symlinkFollow ?? false, (entry) => {
      // the directory itself is reached through its /proc link, which must be followed
      if (entry.name === undefined) return openHandle(entry.path, mode & ~constants.O_NOFOLLOW);
      try {
        return openHandle(entry.path, mode, 0o644);
      } catch (thrown) {
        const code = (thrown as { code?: string }).code;
        if (entry.follow && code === 'ELOOP') return FOLLOW;
        // a socket, or a FIFO opened for writing with no reader: refused like any other special file
        if (code === 'ENXIO') this.#grant.deny(`opening ${path}, a special file (only regular files and directories are opened)`);
        throw thrown;
      }
    });
    try {
      const type = typeOf(fs(() => fstatSync(fd)));
      if (type !== 'regular-file' && type !== 'directory') this.#grant.deny(`opening ${path}, a ${type} (only regular files and directories are opened)`);
      if (type === 'directory' && flags.write) throw 'is-directory';
      return new BerthDescriptor(this.#grant, { fd, type, flags: { ...flags } });
    } catch (thrown) {
      closeHandle(fd);
      throw thrown;
    }
  }

  readlinkAt(path: string): string {
    return this.#walk(path, false, (entry) => readlinkSync(BerthDescriptor.#named(entry, 'invalid')));
  }

  removeDirectoryAt(path: string): void {
    this.#mutable('removeDirectoryAt');
    this.#walk(path, false, (entry) => rmdirSync(BerthDescriptor.#named(entry, 'invalid')));
  }

  renameAt(oldPath: string, newDescriptor: Types.Descriptor, newPath: string): void {
    const other = BerthDescriptor.#other(newDescriptor);
    this.#mutable('renameAt');
    other.#mutable('renameAt');
    this.#walk(oldPath, false, (from) => {
      const source = BerthDescriptor.#named(from, 'invalid');
      this.#checkMovable(from, 'renameAt');
      other.#walk(newPath, false, (to) => renameSync(source, BerthDescriptor.#named(to, 'invalid')));
    });
  }

  symlinkAt(oldPath: string, newPath: string): void {
    this.#mutable('symlinkAt');
    // only links that point down: wherever one is moved it stays inside the grant
    if (!isDownwardTarget(oldPath)) this.#grant.deny(`symlinkAt ${newPath} -> ${oldPath} (a target must be relative, without "..")`);
    this.#walk(newPath, false, (entry) => symlinkSync(oldPath, BerthDescriptor.#named(entry, 'exist')));
  }

  unlinkFileAt(path: string): void {
    this.#mutable('unlinkFileAt');
    this.#walk(path, false, (entry) => unlinkSync(BerthDescriptor.#named(entry, 'is-directory')));
  }

  #stats(): BigIntStats {
    return fs(() => fstatSync(this.#opened?.fd ?? this.#grant.root(), { bigint: true }));
  }

  isSameObject(other: Types.Descriptor): boolean {
    if (!(other instanceof BerthDescriptor)) return false;
    const [mine, theirs] = [this.#stats(), other.#stats()];
    return mine.dev === theirs.dev && mine.ino === theirs.ino;
  }

  metadataHash(): Types.MetadataHashValue {
    return hashOf(this.#stats());
  }

  metadataHashAt(pathFlags: Types.PathFlags, path: string): Types.MetadataHashValue {
    return hashOf(this.#statsAt(pathFlags, path));
  }

  /** jco calls this when the manager drops its handle. */
  [DISPOSE](): void {
    const opened = this.#opened;
    this.#opened = undefined;
    if (opened) closeHandle(opened.fd);
  }
}
