import { constants, fstatSync, readlinkSync, realpathSync } from 'node:fs';
import type * as Preopens from '../generated/interfaces/wasi-filesystem-preopens.js';
import type * as Types from '../generated/interfaces/wasi-filesystem-types.js';
import { asFilesystemError } from './fs-errors.js';
import { BerthDescriptor, type GrantContext } from './files-descriptor.js';
import { closeHandle, openHandle } from './files-handles.js';
import { BerthDirectoryEntryStream, fs } from './files-metadata.js';
import { O_PATH } from './files-paths.js';
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
 * instances. Each grant's directory is held open from its first use, and
 * every path is walked from it (Linux only: the walk goes through
 * /proc/self/fd).
 */
export function createFiles(grants: readonly DirectoryGrant[], onDenied?: (capability: string, what: string) => void): Filesystem {
  const directories = grants.map((grant): [BerthDescriptor, string] => {
    let root: number | undefined;
    // the operator's path as it was at first use (it may go through symlinks of the operator's)
    let real: string | undefined;
    const open = (): number => {
      real ??= fs(() => realpathSync(grant.hostPath));
      const moved = (): never => {
        onDenied?.('files', `the granted directory ${grant.guestPath} is no longer a directory at ${real}`);
        throw 'not-permitted';
      };
      let fd: number;
      try {
        fd = fs(() => openHandle(real!, O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW));
      } catch (code) {
        if (code === 'not-directory') moved();
        throw code;
      }
      // opened again after a program removed it: still that directory, not a symlink or a moved parent left in its place
      if (readlinkSync(`/proc/self/fd/${fd}`) !== real) {
        closeHandle(fd);
        moved();
      }
      return fd;
    };
    const context: GrantContext = {
      readOnly: grant.access === 'read-only',
      root: () => (root ??= open()),
      renewRoot() {
        if (root === undefined || fstatSync(root).nlink > 0) return false;
        closeHandle(root);
        root = undefined;
        return true;
      },
      refuse(what) {
        onDenied?.('files', `${what} in a read-only directory grant`);
        throw 'read-only';
      },
      deny(what) {
        onDenied?.('files', what);
        throw 'not-permitted';
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
