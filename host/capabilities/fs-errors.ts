import type * as Types from '../generated/interfaces/wasi-filesystem-types.js';

/** errno names as Node reports them -> wasi:filesystem's error-code, for the ones a manager can meet. */
const ERROR_CODES: Readonly<Record<string, Types.ErrorCode>> = {
  EACCES: 'access',
  EPERM: 'not-permitted',
  EAGAIN: 'would-block',
  EBADF: 'bad-descriptor',
  EBUSY: 'busy',
  EDQUOT: 'quota',
  EEXIST: 'exist',
  EFBIG: 'file-too-large',
  EINTR: 'interrupted',
  EINVAL: 'invalid',
  EIO: 'io',
  EISDIR: 'is-directory',
  ELOOP: 'loop',
  EMLINK: 'too-many-links',
  ENAMETOOLONG: 'name-too-long',
  ENOENT: 'no-entry',
  ENOMEM: 'insufficient-memory',
  ENOSPC: 'insufficient-space',
  ENOTDIR: 'not-directory',
  ENOTEMPTY: 'not-empty',
  ENOTSUP: 'unsupported',
  EROFS: 'read-only',
  EXDEV: 'cross-device',
};

/**
 * preview2-shim converts Node's errors into wasi error codes in most of its
 * Descriptor methods but not all: `write` lets an ENOSPC through as a Node
 * error, and jco's glue can only turn a code into the `error-code` variant,
 * so the manager would trap on a full disk. Anything with an errno name is
 * converted here; what the shim already converted passes as it is.
 */
export function asFilesystemError(thrown: unknown): unknown {
  if (typeof thrown !== 'object' || thrown === null) return thrown;
  const code = (thrown as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? (ERROR_CODES[code] ?? 'io') : thrown;
}
