import type { Readable } from 'node:stream';

export interface StoredBackup {
  /** Where the store keeps it: opaque to everyone but the store. */
  location: string;
  size: number;
  sha256: string;
}

/**
 * Where backup artifacts live on the server's side. The embedded default is a
 * directory; an S3-compatible store implements the same three operations.
 */
export interface BackupStore {
  readonly kind: string;
  /**
   * Store an artifact from a stream. Resolves once it is durable, with its
   * size and sha256 as received; rejects (and keeps nothing) when the stream
   * fails, `expectedSha256` does not match what arrived, or more than
   * `maxBytes` arrive (BERTH_ERR_ARTIFACT_TOO_LARGE, as soon as they do: the
   * rest is never read, and `data` is left undestroyed so that its sender can
   * still be answered).
   */
  put(backupId: string, data: Readable, expectedSha256: string, maxBytes: number): Promise<StoredBackup>;
  /** Stream a stored artifact; rejects with BERTH_ERR_BACKUP_NOT_FOUND when it is gone. */
  get(location: string): Promise<Readable>;
  /** Remove it; removing what is already gone is not an error. */
  delete(location: string): Promise<void>;
}
