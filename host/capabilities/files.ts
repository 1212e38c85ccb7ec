import { createFilesystem } from '@bytecodealliance/preview2-shim/filesystem';
import type * as Preopens from '../generated/interfaces/wasi-filesystem-preopens.js';
import type * as Types from '../generated/interfaces/wasi-filesystem-types.js';

export interface DirectoryGrant {
  /** Absolute path on the host. */
  hostPath: string;
  /** Absolute path the manager sees. */
  guestPath: string;
}

/**
 * wasi:filesystem with a per-instance view: only granted directories are
 * preopened. preview2-shim 0.26's createFilesystem, never the module-global
 * preopens (0.25's default preopen is the host's "/").
 */
export function createFiles(grants: readonly DirectoryGrant[]): { preopens: typeof Preopens; types: typeof Types } {
  const preopens: Record<string, string> = {};
  for (const grant of grants) preopens[grant.guestPath] = grant.hostPath;
  // The package types resolve to the browser build; the Node build takes host paths.
  const filesystem = (createFilesystem as unknown as (config: { preopens: Record<string, string> }) => unknown)({ preopens });
  return filesystem as unknown as { preopens: typeof Preopens; types: typeof Types };
}
