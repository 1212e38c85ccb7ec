import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHost, until } from '../support/guest-host.js';
import { apiRequest, startTestServer, waitFor, type StartedTestServer } from '../support/server.js';

const TOKEN = 'acme-token-0123456789';
/** The quick-call deadline: long enough for a guest host process to start again within it on a busy machine. */
const QUICK_CALL_S = 10;

let dir: string;
let setup: StartedTestServer;
let id: string;
let configPath: string;
const cleanups: Array<() => Promise<unknown>> = [];
let stopHost: () => Promise<unknown>;

const api = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, TOKEN, method, `/v1.0/acme${path}`, body);
const effects = async () => (await readFile(join(dir, 'volume', 'effects.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean);

/** A real `berth host` process for the instance; `stopHost` ends it (SIGTERM, then its exit). */
function startHost(): void {
  const host = runHost(configPath, cleanups);
  stopHost = async () => {
    host.child.kill('SIGTERM');
    await host.exited;
  };
}

async function disconnectGuest(): Promise<void> {
  await stopHost();
  await until(() => !setup.server.hub.isConnected(id), 'the hub to notice the guest left');
}

beforeAll(async () => {
  // the external provisioner: the test runs the guest host, so it can stop and start it at will
  dir = await mkdtemp(join(tmpdir(), 'berth-reconnect-'));
  setup = await startTestServer({
    name: 'reconnect',
    dataDir: dir,
    provisioner: 'external',
    projects: { acme: TOKEN },
    managers: { counter: 'counter' },
    // heartbeats may stop for the whole test without the instance turning ERROR
    timeouts: { report_interval: 0.2, quick_call: QUICK_CALL_S, heartbeat_expiry: 600 },
    datastores: [{ name: 'counter', server: { usage_timeout: 60 }, guest: { mount_point: join(dir, 'volume') }, versions: [{ name: '1', manager: 'counter' }] }],
  });
  const created = await api('POST', '/instances', { instance: { name: 'away', datastore: { type: 'counter' } } });
  id = created.body.instance.id;
  await mkdir(join(dir, 'volume'), { recursive: true });
  configPath = join(dir, 'guest.toml');
  await writeFile(configPath, created.body.guest_config as string);
  startHost();
  await waitFor(() => api('GET', `/instances/${id}`), (r) => r.body.instance.status === 'ACTIVE', 'ACTIVE');
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await setup?.cleanup();
});

describe('an API call while its guest is briefly disconnected (real HTTP, real guest host processes)', () => {
  it('waits for the guest to come back within the deadline, then succeeds, run once', async () => {
    await disconnectGuest();
    const started = Date.now();
    let settled = false;
    const call = api('POST', `/instances/${id}/databases`, { databases: [{ name: 'while-away' }] }).finally(() => (settled = true));

    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(settled).toBe(false);
    startHost();

    const response = await call;
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    expect(Date.now() - started).toBeLessThan(QUICK_CALL_S * 1000);
    expect(setup.server.hub.isConnected(id)).toBe(true);
    expect(await effects()).toEqual(['while-away']);
    const listed = await api('GET', `/instances/${id}/databases`);
    expect(listed.body.databases.map((d: { name: string }) => d.name)).toEqual(['while-away']);
  });

  it('answers BERTH_ERR_RPC_TIMEOUT at the deadline when the guest stays away, and never runs the call later', async () => {
    await disconnectGuest();
    const started = Date.now();
    const response = await api('POST', `/instances/${id}/databases`, { databases: [{ name: 'too-late' }] });
    const elapsed = Date.now() - started;
    expect(response.status).toBe(504);
    expect(response.body.error.code).toBe('BERTH_ERR_RPC_TIMEOUT');
    // it waited for the guest until the deadline, and answered then rather than hanging
    expect(elapsed).toBeGreaterThanOrEqual(QUICK_CALL_S * 1000 - 500);
    expect(elapsed).toBeLessThan(QUICK_CALL_S * 1000 + 5000);
    const task = (await setup.server.store.tasks.listForInstance(id)).find((t) => t.args.includes('too-late'));
    expect(task?.state).toBe('failed');

    // the guest returns: the abandoned call is not sent to it after all
    startHost();
    await until(() => setup.server.hub.isConnected(id), 'the guest to reconnect');
    const listed = await waitFor(() => api('GET', `/instances/${id}/databases`), (r) => r.status === 200, 'databases');
    expect(listed.body.databases.map((d: { name: string }) => d.name)).toEqual(['while-away']);
    expect(await effects()).toEqual(['while-away']);
  });
});
