import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { BerthError } from '../../datastores/errors/berth-error.js';
import type { BackupStore, StoredBackup } from './backup-store.js';

const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Backups as files in one directory of the server: written under a temporary
 * name, checked, fsynced, then renamed into place, so a crash never leaves a
 * half-written backup under its final name.
 */
export class DirectoryBackupStore implements BackupStore {
  readonly kind = 'directory';

  constructor(private readonly directory: string) {}

  private path(location: string): string {
    if (!SAFE_ID.test(location)) throw new BerthError('BERTH_ERR_BACKUP_NOT_FOUND', `no stored backup at ${JSON.stringify(location)}`);
    return join(this.directory, `${location}.backup`);
  }

  async put(backupId: string, data: Readable, expectedSha256: string, maxBytes: number): Promise<StoredBackup> {
    const final = this.path(backupId);
    const partial = `${final}.partial`;
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const hash = createHash('sha256');
    let size = 0;
    const counting = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > maxBytes) {
          return done(new BerthError('BERTH_ERR_ARTIFACT_TOO_LARGE', `backup ${backupId} passed ${maxBytes} bytes, the most the server takes (backups.max_bytes)`, 'raise backups.max_bytes in the server config, or back up less'));
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    // `data` is piped by hand, not through pipeline(): on an error it is let go, not destroyed, so that
    // an HTTP sender still gets the answer (a destroyed request takes its socket, and the answer, with it)
    const sourceFailed = finished(data, { writable: false }).then(() => new Promise<never>(() => undefined));
    sourceFailed.catch(() => undefined);
    const writing = pipeline(counting, createWriteStream(partial, { mode: 0o600 }));
    writing.catch(() => undefined);
    data.pipe(counting);
    try {
      await Promise.race([writing, sourceFailed]);
      const sha256 = hash.digest('hex');
      if (sha256 !== expectedSha256) {
        throw new BerthError('BERTH_ERR_ARTIFACT_CHECKSUM', `backup ${backupId} arrived with sha256 ${sha256}, the guest sent ${expectedSha256}`, 'take the backup again');
      }
      const file = await open(partial, 'r');
      await file.sync();
      await file.close();
      await rename(partial, final);
      return { location: backupId, size, sha256 };
    } catch (error) {
      data.unpipe(counting);
      counting.destroy();
      await writing.catch(() => undefined);
      await rm(partial, { force: true });
      throw error;
    }
  }

  async get(location: string): Promise<Readable> {
    const path = this.path(location);
    const stream = createReadStream(path);
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'ENOENT' ? new BerthError('BERTH_ERR_BACKUP_NOT_FOUND', `the backup store has nothing at ${location}`, 'the backup was deleted; take a new one') : error),
      );
    });
    return stream;
  }

  async delete(location: string): Promise<void> {
    await rm(this.path(location), { force: true });
  }
}
