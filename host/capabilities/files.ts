import { createFilesystem } from '@bytecodealliance/preview2-shim/filesystem';
import type * as Preopens from '../generated/interfaces/wasi-filesystem-preopens.js';
import type * as Types from '../generated/interfaces/wasi-filesystem-types.js';
import { asFilesystemError } from './fs-errors.js';

export interface DirectoryGrant {
  /** Absolute path on the host. */
  hostPath: string;
  /** Absolute path the manager sees. */
  guestPath: string;
  /** Default read-write (the toolchain's own uses); the guest config defaults to read-only. */
  access?: 'read-only' | 'read-write';
}

type Descriptor = Types.Descriptor;
type Filesystem = { preopens: typeof Preopens; types: typeof Types };

/** Methods that change what is on disk, by the argument positions that name other descriptors. */
const MUTATING: Record<string, number[]> = {
  write: [],
  writeViaStream: [],
  appendViaStream: [],
  setSize: [],
  setTimes: [],
  setTimesAt: [],
  createDirectoryAt: [],
  linkAt: [2],
  symlinkAt: [],
  unlinkFileAt: [],
  removeDirectoryAt: [],
  renameAt: [1],
};

/**
 * preview2-shim knows no read-only preopens and its Descriptor class is one per
 * module graph, i.e. one per sandbox worker thread. So the guard is installed
 * once per thread on that class, and a WeakSet marks the descriptors that come
 * from read-only grants (and everything opened through them).
 */
const readOnly = new WeakSet<object>();
const GUARDED = Symbol.for('berth.read-only-guard');
/** Who hears of refused writes: one sandbox per thread, so one listener per thread. */
let reportDenial: ((capability: string, what: string) => void) | undefined;

function refuse(method: string): never {
  reportDenial?.('files', `${method} in a read-only directory grant`);
  throw 'read-only';
}

function installReadOnlyGuard(descriptorClass: { prototype: Record<string | symbol, unknown> }): void {
  const proto = descriptorClass.prototype;
  if (proto[GUARDED]) return;
  proto[GUARDED] = true;
  for (const [method, others] of Object.entries(MUTATING)) {
    const original = proto[method] as (...args: unknown[]) => unknown;
    proto[method] = function (this: object, ...args: unknown[]) {
      if (readOnly.has(this) || others.some((index) => readOnly.has(args[index] as object))) refuse(method);
      try {
        return original.apply(this, args);
      } catch (thrown) {
        throw asFilesystemError(thrown);
      }
    };
  }
  const openAt = proto.openAt as (this: object, ...args: unknown[]) => Descriptor;
  proto.openAt = function (this: object, pathFlags: unknown, path: unknown, openFlags: Types.OpenFlags, flags: Types.DescriptorFlags) {
    const fromReadOnly = readOnly.has(this);
    if (fromReadOnly && (flags.write || flags.mutateDirectory || openFlags.create || openFlags.truncate || openFlags.exclusive)) {
      refuse(`opening ${String(path)} for writing`);
    }
    const opened = openAt.call(this, pathFlags, path, openFlags, flags);
    if (fromReadOnly) readOnly.add(opened);
    return opened;
  };
}

/**
 * wasi:filesystem with a per-instance view: only granted directories are
 * preopened, read-only ones refuse every change. preview2-shim 0.26's
 * createFilesystem, never the module-global preopens (0.25's default preopen
 * is the host's "/").
 */
export function createFiles(grants: readonly DirectoryGrant[], onDenied?: (capability: string, what: string) => void): Filesystem {
  if (onDenied) reportDenial = onDenied;
  const preopens: Record<string, string> = {};
  for (const grant of grants) preopens[grant.guestPath] = grant.hostPath;
  // The package types resolve to the browser build; the Node build takes host paths.
  const filesystem = (createFilesystem as unknown as (config: { preopens: Record<string, string> }) => Filesystem)({ preopens });
  installReadOnlyGuard(filesystem.types.Descriptor as unknown as { prototype: Record<string | symbol, unknown> });
  const readOnlyPaths = new Set(grants.filter((grant) => grant.access === 'read-only').map((grant) => grant.guestPath));
  for (const [descriptor, guestPath] of filesystem.preopens.getDirectories()) {
    if (readOnlyPaths.has(guestPath)) readOnly.add(descriptor);
  }
  return filesystem;
}
