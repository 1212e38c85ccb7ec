import { renameSync, writeFileSync } from 'node:fs';

/**
 * A file of the host's state directory written whole, readable by the host's
 * user only: to a temporary name, then renamed over the old one, so a crash
 * leaves the old content or the new, never half of either.
 */
export function replaceStateFile(path: string, content: string | Uint8Array): void {
  writeFileSync(`${path}.tmp`, content, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}
