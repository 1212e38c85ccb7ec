import { datastoreListeners, holdsSocket, type DatastoreAddresses } from './datastore-listeners.js';
import type { ProgramSlots } from './exec-slots.js';
import { stillRunning } from './proc-stat.js';

/** How long a spawned program has, after SIGTERM, before its process group is killed. */
const GRACE_MS = 2000;
const POLL_MS = 50;

export interface EndedPrograms {
  /** Ended: their process groups were sent SIGTERM, then SIGKILL. */
  ended: number[];
  /** Left running: the datastore (it listens where a connection grant points). */
  kept: number[];
}

/**
 * At host stop, after the sandbox has closed (no worker can start another):
 * end every program `exec.spawn` started that still runs, unless it is the
 * datastore, which a restarted host must find running (mariadbd is started
 * this way). The datastore is recognised by what the manager cannot fake
 * twice: it holds the socket listening on a granted connection's address.
 * Programs that daemonised themselves (pg_ctl start, redis-server
 * --daemonize) left the table when their run returned and are not touched.
 */
export async function endSpawnedPrograms(slots: ProgramSlots, datastore: DatastoreAddresses): Promise<EndedPrograms> {
  const running = slots.spawned();
  const listeners = datastoreListeners(datastore);
  const kept = running.filter((program) => holdsSocket(program.pid, listeners));
  const ending = running.filter((program) => !kept.includes(program));
  // each leads a session and process group of its own (setsid at spawn): the group takes what it started along
  for (const program of ending) signalGroup(program.pid, 'SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  while (ending.some((p) => stillRunning(p.pid, p.startTime)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  // unconditionally: a leader gone (or a zombie) may leave members of its group behind
  for (const program of ending) signalGroup(program.pid, 'SIGKILL');
  return { ended: ending.map((p) => p.pid), kept: kept.map((p) => p.pid) };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  // never 0 or 1: -0 is the host's own group and -1 every process the host may signal
  if (pid <= 1) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group
  }
}
