import { createHash } from 'node:crypto';

/** Hex sha256 of bytes, or of a string's UTF-8. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
