import {
  closeSync, constants, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, futimesSync, linkSync, lstatSync, lutimesSync,
  mkdirSync, openSync, readSync, readlinkSync, renameSync, rmdirSync, statSync, symlinkSync, unlinkSync,
  utimesSync, writeSync, type BigIntStats,
} from 'node:fs';
import { posix } from 'node:path';
import type * as Types from '../generated/interfaces/wasi-filesystem-types.js';
import { isBeneath, openedPath, resolveBeneath } from './files-paths.js';
import { BerthDirectoryEntryStream, fs, hashOf, seconds, statOf, typeOf } from './files-metadata.js';
import { fileSink, fileSource, SyncInputStream, SyncOutputStream } from './wasi-io.js';

const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');

/** What every descriptor of one grant shares: where it is, whether it may change, and who hears of refusals. */
export interface GrantContext {
  /** The granted directory's real host path (found at first use: it may be made after the grant). */
  root(): string;
  readonly readOnly: boolean;
  refuse(what: string): never;
}

type Opened = { fd: number; type: Types.DescriptorType; flags: Types.DescriptorFlags };

/**
 * wasi:filesystem's descriptor, done with Node's synchronous calls on the
 * manager's own thread (preview2-shim sends every open, read, write and close
 * to its I/O thread and from there to libuv's pool: about 300 us per small
 * file on this project's machines, against 20-40 here). Every path is walked
 * beneath the descriptor (files-paths.ts) and every open file is checked
 * against what the kernel opened; a read-only grant refuses every change.
 * Its streams are wasi-io.ts's, synchronous on the same thread.
 */
export class BerthDescriptor implements Types.Descriptor {
  readonly #grant: GrantContext;
  /** Real host path; undefined for a preopen, which is its grant's directory. */
  readonly #ownPath: string | undefined;
  #opened: Opened | undefined;

  private constructor(grant: GrantContext, path: string | undefined, opened?: Opened) {
    this.#grant = grant;
    this.#ownPath = path;
    this.#opened = opened;
  }

  static preopen(grant: GrantContext): BerthDescriptor {
    return new BerthDescriptor(grant, undefined);
  }

  get #path(): string {
    return this.#ownPath ?? this.#grant.root();
  }

  /** The open file, or bad-descriptor for a preopen (a path only, never opened) or a closed one. */
  #file(): Opened {
    if (!this.#opened) throw 'bad-descriptor';
    return this.#opened;
  }

  #at(path: string, followFinal: boolean): string {
    return fs(() => resolveBeneath(this.#path, path, followFinal));
  }

  #mutable(what: string): void {
    if (this.#grant.readOnly) this.#grant.refuse(what);
  }

  /** The other descriptor of a two-path call, which must be one of Berth's. */
  static #other(other: Types.Descriptor): BerthDescriptor {
    if (!(other instanceof BerthDescriptor)) throw 'bad-descriptor';
    return other;
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
    return BerthDirectoryEntryStream.of(this.#path);
  }

  createDirectoryAt(path: string): void {
    this.#mutable('createDirectoryAt');
    fs(() => mkdirSync(this.#at(path, false)));
  }

  stat(): Types.DescriptorStat {
    return statOf(this.#stats());
  }

  /** The stats of `target` (a path already walked), following a final symlink only when asked. */
  static #statsOf(target: string, follow: boolean): BigIntStats {
    // the SDK's existence check is a stat of what may well be missing: no Node error (and its stack) for that
    const stats = fs(() => (follow ? statSync : lstatSync)(target, { bigint: true, throwIfNoEntry: false }));
    if (!stats) throw 'no-entry';
    return stats;
  }

  statAt(pathFlags: Types.PathFlags, path: string): Types.DescriptorStat {
    const follow = pathFlags.symlinkFollow ?? false;
    return statOf(BerthDescriptor.#statsOf(this.#at(path, follow), follow));
  }

  setTimesAt(pathFlags: Types.PathFlags, path: string, dataAccessTimestamp: Types.NewTimestamp, dataModificationTimestamp: Types.NewTimestamp): void {
    this.#mutable('setTimesAt');
    const follow = pathFlags.symlinkFollow ?? false;
    const target = this.#at(path, follow);
    const now = BerthDescriptor.#statsOf(target, follow);
    fs(() => (follow ? utimesSync : lutimesSync)(target, seconds(dataAccessTimestamp, now.atimeNs), seconds(dataModificationTimestamp, now.mtimeNs)));
  }

  linkAt(oldPathFlags: Types.PathFlags, oldPath: string, newDescriptor: Types.Descriptor, newPath: string): void {
    const other = BerthDescriptor.#other(newDescriptor);
    // a link out of a read-only grant would make its file writable through the new name
    this.#mutable('linkAt');
    other.#mutable('linkAt');
    fs(() => linkSync(this.#at(oldPath, oldPathFlags.symlinkFollow ?? false), other.#at(newPath, false)));
  }

  openAt(pathFlags: Types.PathFlags, path: string, openFlags: Types.OpenFlags, flags: Types.DescriptorFlags): Types.Descriptor {
    if (flags.write || openFlags.create || openFlags.truncate || openFlags.exclusive || flags.mutateDirectory) {
      this.#mutable(`opening ${path} for writing`);
    }
    if (flags.requestedWriteSync) throw 'unsupported';
    if (this.#opened && this.#opened.type !== 'directory') throw 'not-directory';
    const follow = pathFlags.symlinkFollow ?? false;
    const target = this.#at(path, follow);
    let mode = flags.read && flags.write ? constants.O_RDWR : flags.write ? constants.O_WRONLY : constants.O_RDONLY;
    if (openFlags.create) mode |= constants.O_CREAT;
    if (openFlags.directory) mode |= constants.O_DIRECTORY;
    if (openFlags.exclusive) mode |= constants.O_EXCL;
    if (openFlags.truncate) mode |= constants.O_TRUNC;
    if (flags.fileIntegritySync) mode |= constants.O_SYNC;
    if (flags.dataIntegritySync) mode |= constants.O_DSYNC;
    if (!follow) mode |= constants.O_NOFOLLOW;
    const trailingSlash = target.endsWith('/');
    const file = trailingSlash ? target.slice(0, -1) : target;
    const fd = fs(() => openSync(file, mode, 0o644));
    try {
      // the walk checked the path; this checks what was opened, whatever was swapped in since
      const path = fs(() => openedPath(fd)) ?? file;
      if (!isBeneath(path, this.#path)) throw 'not-permitted';
      const type = typeOf(fs(() => fstatSync(fd)));
      if (type === 'directory' && flags.write) throw 'is-directory';
      if (trailingSlash && type !== 'directory') throw 'not-directory';
      return new BerthDescriptor(this.#grant, path, { fd, type, flags: { ...flags } });
    } catch (thrown) {
      closeSync(fd);
      throw thrown;
    }
  }

  readlinkAt(path: string): string {
    return fs(() => readlinkSync(this.#at(path, false)));
  }

  removeDirectoryAt(path: string): void {
    this.#mutable('removeDirectoryAt');
    fs(() => rmdirSync(this.#at(path, false)));
  }

  renameAt(oldPath: string, newDescriptor: Types.Descriptor, newPath: string): void {
    const other = BerthDescriptor.#other(newDescriptor);
    this.#mutable('renameAt');
    other.#mutable('renameAt');
    fs(() => renameSync(this.#at(oldPath, false), other.#at(newPath, false)));
  }

  symlinkAt(oldPath: string, newPath: string): void {
    this.#mutable('symlinkAt');
    const link = this.#at(newPath, false);
    // a link whose target leaves the grant could only ever be refused when followed: refuse it now
    if (posix.isAbsolute(oldPath) || !isBeneath(posix.join(posix.dirname(link), oldPath), this.#grant.root())) throw 'not-permitted';
    fs(() => symlinkSync(oldPath, link));
  }

  unlinkFileAt(path: string): void {
    this.#mutable('unlinkFileAt');
    fs(() => unlinkSync(this.#at(path, false)));
  }

  #stats(): BigIntStats {
    const opened = this.#opened;
    return fs(() => (opened ? fstatSync(opened.fd, { bigint: true }) : statSync(this.#path, { bigint: true })));
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
    const follow = pathFlags.symlinkFollow ?? false;
    return hashOf(BerthDescriptor.#statsOf(this.#at(path, follow), follow));
  }

  /** jco calls this when the manager drops its handle. */
  [DISPOSE](): void {
    const opened = this.#opened;
    this.#opened = undefined;
    if (opened) closeSync(opened.fd);
  }
}
