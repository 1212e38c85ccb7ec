import { stillRunning } from '../../../host/capabilities/proc-stat.js';
import { processesWorkingIn } from '../../../server/provisioning/local-machine.js';
import { waitFor } from '../../support/server.js';

/**
 * What a reboot does to a local instance: kill -9 of its guest host and of
 * every process working in its directory (the datastore's), at once. Resolves
 * with their pids once all are gone.
 */
export async function killEverything(hostPid: number, instanceDir: string, pollMs = 100): Promise<number[]> {
  const pids = [hostPid, ...processesWorkingIn(instanceDir)];
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // a datastore's worker that ended between the listing and the kill
    }
  }
  await waitFor(async () => pids.filter(stillRunning), (alive) => alive.length === 0, 'the killed processes to be gone', 30_000, pollMs);
  return pids;
}
