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
 * Node's errors as wasi error codes: jco's glue can only turn a code into
 * the `error-code` variant, and anything else thrown from a filesystem
 * import traps the manager (an ENOSPC did, under preview2-shim, whose
 * `write` let it through). Anything with an errno name is converted; a code
 * already converted passes as it is.
 */
export function asFilesystemError(thrown: unknown): unknown {
  if (typeof thrown !== 'object' || thrown === null) return thrown;
  const code = (thrown as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? (ERROR_CODES[code] ?? 'io') : thrown;
}
