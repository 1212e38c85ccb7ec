import { mkdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { OperationName } from '../../datastores/sdk/operations.js';
import type { ArtifactGrant } from '../capabilities/artifacts.js';
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

interface RestoreSourceArgument {
  id: string;
  size: number | bigint;
  checksum: string;
}

/** Backup ids become spool file names: nothing that could leave the spool directory. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The server names a replication snapshot's artifact size and sha256 in the
 * snapshot's extra (the contract's replication-snapshot has no field for
 * them), so a replica checks it as a restore checks its backup.
 */
export const SNAPSHOT_SIZE_KEY = 'berth-artifact-size';
export const SNAPSHOT_SHA256_KEY = 'berth-artifact-sha256';

function snapshotSourceOf(snapshot: unknown): RestoreSourceArgument | undefined {
  if (typeof snapshot !== 'object' || snapshot === null) return undefined;
  const { snapshotId, extra } = snapshot as { snapshotId?: unknown; extra?: unknown };
  if (typeof snapshotId !== 'string' || snapshotId === '' || !Array.isArray(extra)) return undefined;
  const value = (key: string): string | undefined => (extra as Array<{ key?: unknown; value?: unknown }>).find((kv) => kv.key === key)?.value as string | undefined;
  const size = Number(value(SNAPSHOT_SIZE_KEY));
  const checksum = value(SNAPSHOT_SHA256_KEY);
  if (!Number.isSafeInteger(size) || size < 0 || typeof checksum !== 'string') return undefined;
  return { id: snapshotId, size, checksum };
}

function restoreSourceOf(operation: OperationName, args: unknown[]): RestoreSourceArgument | undefined {
  const first = args[0] as Record<string, unknown> | undefined;
  if (operation === 'attach-replica') return snapshotSourceOf(first);
  const source = operation === 'restore-backup' ? first : operation === 'prepare' ? first?.backup : undefined;
  if (typeof source !== 'object' || source === null) return undefined;
  const { id, size, checksum } = source as Record<string, unknown>;
  if (typeof id !== 'string' || typeof checksum !== 'string' || (typeof size !== 'number' && typeof size !== 'bigint')) return undefined;
  return { id, size, checksum };
}

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
      // create-backup names its backup in request.id; get-replication-snapshot names its snapshot's artifact first
      const id = operation === 'create-backup' ? (args[0] as { id?: unknown } | undefined)?.id : args[0];
      if (typeof id !== 'string' || !SAFE_ID.test(id)) return options.call(operation, args, deadline, []);
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

    const source = restoreSourceOf(operation, args);
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
