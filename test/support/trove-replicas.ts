import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { processesDescendedFrom, processesMarkedWith } from '../../server/provisioning/local-machine.js';
import { alive } from './redis-guest.js';
import { apiRequest, startTestServer, waitFor, type ApiResponse, type StartedTestServer, type TestDatastore } from './server.js';
import { TroveClients } from './trove-clients.js';

/**
 * What the Trove replication suites (Redis, PostgreSQL, MySQL) share: a real
 * server with one datastore and its real manager, alice of project acme and
 * the unmodified clients; waiting for an instance to settle; a counted write
 * load; and the loss of a source's machine (kill -9 of its guest host and
 * datastore, kept down).
 */
export interface TroveReplicaSuite {
  readonly setup: StartedTestServer;
  readonly clients: TroveClients;
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** The instance's view once it has left BUILD; fails unless it is ACTIVE (its fault in the message). */
  active(id: string): Promise<any>;
}

export const ALICE = { name: 'alice', password: 'correct horse battery staple', project: 'acme' };

/**
 * Registers the suite's beforeAll/afterAll: the server (heartbeats every second, expired after
 * `heartbeatExpiry` s, slow calls up to 300 s, quick ones `quickCall` s (the server's default when
 * not given); guests stop with it) and a HOME for the clients.
 */
export function troveReplicaSuite<M extends string>(options: { name: string; managers: Record<M, { entry: string }>; datastores: Array<TestDatastore<M>>; heartbeatExpiry?: number; quickCall?: number }): TroveReplicaSuite {
  const token = `acme-token-for-${options.name}`;
  let setup: StartedTestServer | undefined;
  let clients: TroveClients | undefined;
  let home: string | undefined;
  beforeAll(async () => {
    setup = await startTestServer({
      name: options.name,
      projects: { acme: token },
      users: [{ name: ALICE.name, password: ALICE.password, projects: [ALICE.project] }],
      managers: options.managers,
      timeouts: { report_interval: 1, heartbeat_expiry: options.heartbeatExpiry ?? 30, slow_call: 300, ...(options.quickCall === undefined ? {} : { quick_call: options.quickCall }) },
      datastores: options.datastores,
      stopGuestsOnClose: true,
    });
    home = await mkdtemp(join(tmpdir(), `berth-${options.name}-home-`));
    clients = new TroveClients(setup.server.url, ALICE, token, home);
  }, 300_000);
  afterAll(async () => {
    await setup?.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
  }, 120_000);
  const suite: TroveReplicaSuite = {
    get setup() {
      if (!setup) throw new Error('the suite has not started');
      return setup;
    },
    get clients() {
      if (!clients) throw new Error('the suite has not started');
      return clients;
    },
    api: (method, path, body) => apiRequest(suite.setup.server.url, token, method, `/v1.0/acme${path}`, body),
    async active(id) {
      const shown = (await waitFor(() => suite.api('GET', `/instances/${id}`), (r) => r.body.instance.status !== 'BUILD', `instance ${id} to leave BUILD`, 180_000, 500)).body.instance;
      expect(shown.status, JSON.stringify(shown.fault)).toBe('ACTIVE');
      return shown;
    },
  };
  return suite;
}

/**
 * The processes the instance's host started for it (they carry its mark in their environment) and all
 * theirs: a postgres backend retitles itself over the environment it inherited, so only its postmaster shows the mark.
 */
function datastoreProcesses(instanceId: string): number[] {
  const marked = processesMarkedWith(instanceId);
  const pids = new Set([...marked, ...marked.flatMap((pid) => processesDescendedFrom(pid).map((p) => p.pid))]);
  if (pids.size === 0) throw new Error(`instance ${instanceId} runs no datastore process`);
  return [...pids];
}

/** A signal to a process that may have ended meanwhile (a backend whose client left): ESRCH is not an error here. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export interface WriteLoad {
  /** How many writes were acknowledged, and refused, so far. */
  progress(): { acknowledged: number; refused: number };
  /** Ends the load after the write in flight; `acknowledged`: the keys whose write succeeded, `refused`: each failure's code. */
  stop(): Promise<{ acknowledged: number[]; refused: string[] }>;
}

/**
 * Writes key 0, 1, 2... one after the other, as fast as they are answered,
 * until stopped: a write that resolves is acknowledged, one that rejects is
 * refused (its `code`: SQLSTATE, MySQL error code, Redis reply), and the next
 * key goes on after a short pause. What a client of the source sees during a
 * switchover.
 */
export function countedWrites(write: (key: number) => Promise<void>, pauseAfterRefusalMs = 20): WriteLoad {
  const acknowledged: number[] = [];
  const refused: string[] = [];
  let stopping = false;
  const loop = (async () => {
    for (let key = 0; !stopping; key++) {
      try {
        await write(key);
        acknowledged.push(key);
      } catch (error) {
        const { code, message } = error as { code?: unknown; message?: string };
        refused.push(code === undefined ? String(message) : String(code));
        await new Promise((resolve) => setTimeout(resolve, pauseAfterRefusalMs));
      }
    }
  })();
  return {
    progress: () => ({ acknowledged: acknowledged.length, refused: refused.length }),
    async stop() {
      stopping = true;
      await loop;
      return { acknowledged, refused };
    },
  };
}

/**
 * The source's machine is gone: the local provisioner is told not to restart
 * its guest host (holdRestarts), then the host and every process it started
 * for the instance (the datastore and its children) get SIGKILL, waited for.
 * Answers the datastore's pids.
 */
export async function killGuestMachine(setup: StartedTestServer, instanceId: string): Promise<number[]> {
  const provisioner = setup.server.provisioner!;
  const hostPid = provisioner.pidOf(instanceId);
  if (hostPid === undefined) throw new Error(`instance ${instanceId} has no guest host`);
  const datastore = datastoreProcesses(instanceId);
  provisioner.holdRestarts(instanceId, true);
  for (const pid of [hostPid, ...datastore]) signal(pid, 'SIGKILL');
  await waitFor(async () => [hostPid, ...datastore].filter(alive), (left) => left.length === 0, 'the killed processes to die', 10_000, 50);
  return datastore;
}

/**
 * The source's host machine is gone but its datastore is not dead: the guest
 * host gets SIGKILL (kept down, as above) and the datastore's processes are
 * frozen (SIGSTOP), as on a machine that hangs with its sockets still
 * accepting. Answers the SIGCONT of the datastore.
 */
export async function killHostFreezeDatastore(setup: StartedTestServer, instanceId: string): Promise<() => void> {
  const provisioner = setup.server.provisioner!;
  const hostPid = provisioner.pidOf(instanceId);
  if (hostPid === undefined) throw new Error(`instance ${instanceId} has no guest host`);
  const thaw = freezeDatastore(instanceId);
  provisioner.holdRestarts(instanceId, true);
  signal(hostPid, 'SIGKILL');
  await waitFor(async () => alive(hostPid), (living) => !living, 'the killed host to die', 10_000, 50);
  return thaw;
}

/** SIGSTOP of every process the instance's host started for it (its datastore): a replica that falls behind. Answers the SIGCONT. */
export function freezeDatastore(instanceId: string): () => void {
  const pids = datastoreProcesses(instanceId);
  for (const pid of pids) signal(pid, 'SIGSTOP');
  return () => {
    for (const pid of pids) signal(pid, 'SIGCONT');
  };
}
