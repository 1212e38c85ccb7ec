import { reviveWire } from '../../host/rpc/wire-values.js';
import type { Store, TaskRecord } from '../store/store.js';

export type ArtifactDirection = 'upload' | 'download';

/** The backup id an operation's arguments name for moving its artifact, if it names one. */
function backupNamed(task: TaskRecord, direction: ArtifactDirection): string | undefined {
  let args: unknown;
  try {
    args = JSON.parse(task.args, reviveWire);
  } catch {
    return undefined;
  }
  const first = Array.isArray(args) ? (args[0] as Record<string, unknown> | undefined) : undefined;
  if (direction === 'upload' && task.operation === 'get-replication-snapshot') return Array.isArray(args) && typeof args[0] === 'string' ? args[0] : undefined;
  if (direction === 'download' && task.operation === 'attach-replica') {
    const snapshotId = (first as { snapshotId?: unknown } | undefined)?.snapshotId;
    return typeof snapshotId === 'string' ? snapshotId : undefined;
  }
  const source =
    direction === 'upload'
      ? task.operation === 'create-backup' ? first : undefined
      : task.operation === 'restore-backup' ? first : task.operation === 'prepare' ? first?.backup : undefined;
  const id = typeof source === 'object' && source !== null ? (source as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Whether the server has asked this instance, in an operation still in
 * flight, to upload (create-backup, get-replication-snapshot) or download
 * (restore-backup, a prepare that restores, attach-replica) this backup's
 * artifact. The instance's token proves only who
 * the guest is; what it may move is what the server asked of it now, and a
 * guest that could fetch any backup of its project would hold every one.
 */
export async function artifactGranted(store: Store, instanceId: string, backupId: string, direction: ArtifactDirection, now = Date.now()): Promise<boolean> {
  const tasks = await store.tasks.listForInstance(instanceId);
  return tasks.some(
    (task) => (task.state === 'pending' || task.state === 'running') && task.deadlineAt.getTime() > now && backupNamed(task, direction) === backupId,
  );
}
