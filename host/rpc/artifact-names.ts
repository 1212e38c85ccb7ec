import { fieldsOf } from '../validation/fields-of.js';

/**
 * Which backup artifact a guest operation may move, and in which direction:
 * the one rule both sides apply. The host grants a manager the artifact its
 * call names (and nothing else); the server lets a guest upload or download
 * only what an operation it sent, still in flight, names this way.
 */
export type ArtifactDirection = 'upload' | 'download';

/** A backup or snapshot to fetch, and what it must be once fetched. */
export interface ArtifactSource {
  id: string;
  size: number | bigint;
  checksum: string;
}

/**
 * The server names a replication snapshot's artifact size and sha256 in the
 * snapshot's extra (the contract's replication-snapshot has no field for
 * them), so a replica checks it as a restore checks its backup.
 */
export const SNAPSHOT_SIZE_KEY = 'berth-artifact-size';
export const SNAPSHOT_SHA256_KEY = 'berth-artifact-sha256';


function snapshotSourceOf(snapshot: unknown): ArtifactSource | undefined {
  const { snapshotId, extra } = fieldsOf(snapshot) ?? {};
  if (typeof snapshotId !== 'string' || snapshotId === '' || !Array.isArray(extra)) return undefined;
  const value = (key: string): unknown => extra.map(fieldsOf).find((kv) => kv?.key === key)?.value;
  const sizeText = value(SNAPSHOT_SIZE_KEY);
  const checksum = value(SNAPSHOT_SHA256_KEY);
  if (typeof sizeText !== 'string' || !/^\d{1,15}$/.test(sizeText) || typeof checksum !== 'string') return undefined;
  return { id: snapshotId, size: Number(sizeText), checksum };
}

/** The artifact an operation reads, with the size and checksum it must have; none unless all three are named. */
export function artifactToDownload(operation: string, args: readonly unknown[]): ArtifactSource | undefined {
  const first = fieldsOf(args[0]);
  if (operation === 'attach-replica') return snapshotSourceOf(first);
  const source = fieldsOf(operation === 'restore-backup' ? first : operation === 'prepare' ? first?.backup : undefined);
  if (!source) return undefined;
  const { id, size, checksum } = source;
  if (typeof id !== 'string' || typeof checksum !== 'string' || (typeof size !== 'number' && typeof size !== 'bigint')) return undefined;
  return { id, size, checksum };
}

/** The artifact an operation writes: create-backup its request's id, get-replication-snapshot its first argument. */
export function artifactToUpload(operation: string, args: readonly unknown[]): string | undefined {
  const id = operation === 'create-backup' ? fieldsOf(args[0])?.id : operation === 'get-replication-snapshot' ? args[0] : undefined;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** The artifact id an operation moves in `direction`, if it names one. */
export function artifactNamed(operation: string, args: readonly unknown[], direction: ArtifactDirection): string | undefined {
  return direction === 'upload' ? artifactToUpload(operation, args) : artifactToDownload(operation, args)?.id;
}
