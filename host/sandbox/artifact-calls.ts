import { mkdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { OperationName } from '../../datastores/sdk/operations.js';
import type { ArtifactGrant } from '../capabilities/artifacts.js';
import { artifactToDownload, artifactToUpload } from '../rpc/artifact-names.js';
import { TransferError, type ArtifactTransfer } from '../rpc/artifact-transfer.js';
import type { CallOutcome } from './spec.js';
import type { CallDeadline } from './call-deadline.js';

type SandboxCall = (operation: OperationName, args: unknown[], deadline: CallDeadline, artifacts: ArtifactGrant[]) => Promise<CallOutcome>;

export interface ArtifactCallsOptions {
  /** Where backups wait between the manager and the server (mode 0700; files 0600). */
  spoolDir: string;
  transfer: Pick<ArtifactTransfer, 'upload' | 'download'>;
  /** The operations the manifest claims: a backup is fetched only for a manager that says it can use it. */
  claims: ReadonlySet<OperationName>;
  call: SandboxCall;
}

/** Backup ids become spool file names: nothing that could leave the spool directory. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Wraps sandbox calls with the backup artifacts they need: create-backup may
 * write its own backup id and get-replication-snapshot its snapshot id;
 * restore-backup and prepare may read the backup they name, attach-replica
 * the snapshot it is given; no call may touch any other. A backup is spooled on the
 * guest and sent to the server once the manager has finished it; a restore's
 * backup is fetched and checked before the manager sees a byte of it.
 */
export function withArtifacts(options: ArtifactCallsOptions): (operation: OperationName, args: unknown[], deadline: CallDeadline) => Promise<CallOutcome> {
  mkdirSync(options.spoolDir, { recursive: true, mode: 0o700 });

  return async (operation, args, deadline) => {
    const startedAt = Date.now();
    const deadlineMs = deadline.ms;
    const left = (): CallDeadline => ({ ...deadline, ms: Math.max(1, deadlineMs - (Date.now() - startedAt)) });

    // an unclaimed operation answers unsupported from the SDK: it gets no artifact, and no backup is fetched for it
    if (!options.claims.has(operation)) return options.call(operation, args, deadline, []);

    if (operation === 'create-backup' || operation === 'get-replication-snapshot') {
      const id = artifactToUpload(operation, args);
      if (id === undefined || !SAFE_ID.test(id)) return options.call(operation, args, deadline, []);
      const spool = join(options.spoolDir, `${id}.backup`);
      // a spool file from an attempt this host did not finish (it restarted) is stale
      rmSync(spool, { force: true });
      try {
        const outcome = await options.call(operation, args, deadline, [{ name: id, access: 'write', path: spool }]);
        // a manager that wrote nothing made an empty backup, which is still a backup to store
        if ('ok' in outcome) await untilDeadline(startedAt + deadlineMs, () => options.transfer.upload(id, spool), ensureExists(spool));
        return outcome;
      } finally {
        rmSync(spool, { force: true });
      }
    }

    const source = artifactToDownload(operation, args);
    if (!source || !SAFE_ID.test(source.id)) return options.call(operation, args, deadline, []);
    const spool = join(options.spoolDir, `${source.id}.restore`);
    rmSync(spool, { force: true });
    try {
      await untilDeadline(startedAt + deadlineMs, async () => {
        rmSync(spool, { force: true });
        await options.transfer.download(source.id, spool, { size: Number(source.size), sha256: source.checksum });
      });
      return await options.call(operation, args, left(), [{ name: source.id, access: 'read', path: spool }]);
    } finally {
      rmSync(spool, { force: true });
    }
  };
}

/**
 * Retry a transfer the server could not take (it was restarting, say) with
 * backoff until the call's deadline: the backup is already taken, and a
 * restarted server resumes the call and wants it. A refusal is final.
 */
async function untilDeadline<T>(deadlineAt: number, transfer: () => Promise<T>, before?: Promise<unknown>): Promise<T> {
  await before;
  for (let attempt = 0; ; attempt++) {
    try {
      return await transfer();
    } catch (error) {
      const wait = Math.min(5000, 250 * 2 ** attempt);
      if (!(error instanceof TransferError) || !error.retryable || Date.now() + wait >= deadlineAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

async function ensureExists(path: string): Promise<string> {
  // 'a' creates the file when the manager never wrote, and leaves written bytes alone
  await (await open(path, 'a', 0o600)).close();
  return path;
}
