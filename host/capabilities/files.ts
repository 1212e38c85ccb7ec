import { realpathSync } from 'node:fs';
import { posix } from 'node:path';
import { createFilesystem } from '@bytecodealliance/preview2-shim/filesystem';
import type * as Preopens from '../generated/interfaces/wasi-filesystem-preopens.js';
import type * as Types from '../generated/interfaces/wasi-filesystem-types.js';
import { asFilesystemError } from './fs-errors.js';
import { BerthDescriptor, BerthDirectoryEntryStream, type GrantContext } from './files-descriptor.js';

export interface DirectoryGrant {
  /** Absolute path on the host. */
  hostPath: string;
  /** Absolute path the manager sees. */
  guestPath: string;
  /** Default read-write (the toolchain's own uses); the guest config defaults to read-only. */
  access?: 'read-only' | 'read-write';
}

type Filesystem = { preopens: typeof Preopens; types: typeof Types };
type ShimFilesystem = { preopens: { getDirectories(): Array<[ShimDescriptor, string]> }; types: { filesystemErrorCode(err: unknown): Types.ErrorCode | undefined } };
type ShimDescriptor = {
  openAt(pathFlags: Types.PathFlags, path: string, openFlags: Types.OpenFlags, flags: Types.DescriptorFlags): ShimDescriptor;
  readViaStream(offset: bigint): Types.InputStream;
  writeViaStream(offset: bigint): Types.OutputStream;
};

/**
 * preview2-shim's view of the same grants, made at the first stream a manager
 * asks for: the component's wasi:io streams are the shim's, so only the shim
 * can make one. Each stream keeps the shim's descriptor it came from alive.
 */
function shimStreams(grants: readonly DirectoryGrant[]) {
  let shim: ShimFilesystem | undefined;
  const keepOpen = new WeakMap<object, ShimDescriptor>();
  const load = (): ShimFilesystem => {
    // The package types resolve to the browser build; the Node build takes host paths.
    shim ??= (createFilesystem as unknown as (config: { preopens: Record<string, string> }) => ShimFilesystem)({
      preopens: Object.fromEntries(grants.map((grant) => [grant.guestPath, grant.hostPath])),
    });
    return shim;
  };
  return {
    open(grant: DirectoryGrant, root: string, hostPath: string, kind: 'read' | 'write', offset: bigint): Types.InputStream | Types.OutputStream {
      const preopen = load().preopens.getDirectories().find(([, guestPath]) => guestPath === grant.guestPath)?.[0];
      if (!preopen) throw 'bad-descriptor';
      const file = preopen.openAt({}, posix.relative(root, hostPath), {}, kind === 'read' ? { read: true } : { write: true });
      const stream = kind === 'read' ? file.readViaStream(offset) : file.writeViaStream(offset);
      keepOpen.set(stream, file);
      return stream;
    },
    errorCode(err: unknown): Types.ErrorCode | undefined {
      return shim?.types.filesystemErrorCode(err);
    },
  };
}

/**
 * wasi:filesystem with a per-instance view: only the granted directories are
 * preopened, a read-only grant refuses every change (and tells `onDenied`),
 * and no path leads out of its grant. Files are read and written on the
 * manager's own thread (files-descriptor.ts); nothing here is shared between
 * instances.
 */
export function createFiles(grants: readonly DirectoryGrant[], onDenied?: (capability: string, what: string) => void): Filesystem {
  const streams = shimStreams(grants);
  const directories = grants.map((grant): [BerthDescriptor, string] => {
    let root: string | undefined;
    const context: GrantContext = {
      readOnly: grant.access === 'read-only',
      root() {
        try {
          root ??= realpathSync(grant.hostPath);
        } catch (thrown) {
          throw asFilesystemError(thrown);
        }
        return root;
      },
      refuse(what) {
        onDenied?.('files', `${what} in a read-only directory grant`);
        throw 'read-only';
      },
      openStream: (hostPath, kind, offset) => streams.open(grant, context.root(), hostPath, kind, offset),
    };
    return [BerthDescriptor.preopen(context), grant.guestPath];
  });
  return {
    preopens: { getDirectories: () => [...directories] },
    types: {
      Descriptor: BerthDescriptor as unknown as typeof Types.Descriptor,
      DirectoryEntryStream: BerthDirectoryEntryStream as unknown as typeof Types.DirectoryEntryStream,
      filesystemErrorCode: (err) => streams.errorCode(err),
    },
  };
}
