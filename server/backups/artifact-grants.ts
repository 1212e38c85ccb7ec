import { artifactNamed, type ArtifactDirection } from '../../host/rpc/artifact-names.js';
import { reviveWire } from '../../host/rpc/wire-values.js';
import type { Store, TaskRecord } from '../store/store.js';

export type { ArtifactDirection };

/** The backup id an in-flight operation names for moving its artifact: the host's own rule, read off the task. */
function backupNamed(task: TaskRecord, direction: ArtifactDirection): string | undefined {
  let args: unknown;
  try {
    args = JSON.parse(task.args, reviveWire);
  } catch {
    return undefined;
  }
  return Array.isArray(args) ? artifactNamed(task.operation, args, direction) : undefined;
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
