import { procStat } from '../../host/capabilities/proc-stat.js';

/**
 * Stop a datastore's process tree: only the roots are asked (a PostgreSQL
 * backend killed on its own looks like a crash to its postmaster), then
 * whatever is left after the grace period is killed.
 */
export async function stopProcesses(pids: readonly number[]): Promise<void> {
  if (pids.length === 0) return;
  const set = new Set(pids);
  await Promise.all(pids.filter((pid) => !set.has(procStat(pid)?.parent ?? -1)).map((pid) => stopPid(pid)));
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
}

export async function stopPid(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone in the meantime
  }
}
