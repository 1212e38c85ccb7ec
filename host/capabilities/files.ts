import { realpathSync } from 'node:fs';
import type * as Preopens from '../generated/interfaces/wasi-filesystem-preopens.js';
import type * as Types from '../generated/interfaces/wasi-filesystem-types.js';
import { asFilesystemError } from './fs-errors.js';
import { BerthDescriptor, type GrantContext } from './files-descriptor.js';
import { BerthDirectoryEntryStream, fs } from './files-metadata.js';
import { IoError } from './wasi-io.js';

export interface DirectoryGrant {
  /** Absolute path on the host. */
  hostPath: string;
  /** Absolute path the manager sees. */
  guestPath: string;
  /** Default read-write (the toolchain's own uses); the guest config defaults to read-only. */
  access?: 'read-only' | 'read-write';
}

type Filesystem = { preopens: typeof Preopens; types: typeof Types };

/**
 * wasi:filesystem with a per-instance view: only the granted directories are
 * preopened, a read-only grant refuses every change (and tells `onDenied`),
 * and no path leads out of its grant. Files are read and written on the
 * manager's own thread (files-descriptor.ts); nothing here is shared between
 * instances.
 */
export function createFiles(grants: readonly DirectoryGrant[], onDenied?: (capability: string, what: string) => void): Filesystem {
  const directories = grants.map((grant): [BerthDescriptor, string] => {
    let root: string | undefined;
    const context: GrantContext = {
      readOnly: grant.access === 'read-only',
      root() {
        root ??= fs(() => realpathSync(grant.hostPath));
        return root;
      },
      refuse(what) {
        onDenied?.('files', `${what} in a read-only directory grant`);
        throw 'read-only';
      },
    };
    return [BerthDescriptor.preopen(context), grant.guestPath];
  });
  return {
    preopens: { getDirectories: () => [...directories] },
    types: {
      Descriptor: BerthDescriptor as unknown as typeof Types.Descriptor,
      DirectoryEntryStream: BerthDirectoryEntryStream as unknown as typeof Types.DirectoryEntryStream,
      // a stream's failure carries the errno it met
      filesystemErrorCode: (err) => (err instanceof IoError && err.code ? (asFilesystemError({ code: err.code }) as Types.ErrorCode) : undefined),
    },
  };
}
