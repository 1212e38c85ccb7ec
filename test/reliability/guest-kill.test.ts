import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, startTestServer, waitFor, type StartedTestServer } from '../support/server.js';

// kill -9 of a guest host in the middle of an operation: the instance shows ERROR once its
// heartbeats are overdue, the operation ends with a clear error instead of hanging or running
// twice, and the instance recovers when the local provisioner has restarted the host.
const TOKEN = 'guest-kill-token-0123456789';
let setup: StartedTestServer;

beforeAll(async () => {
  setup = await startTestServer({
    name: 'guest-kill',
    projects: { acme: TOKEN },
    managers: { counter: 'counter' },
    timeouts: { report_interval: 0.3, heartbeat_expiry: 1.5, quick_call: 60 },
    // long enough that the heartbeat expiry shows before the host is back
    firstRestartDelayMs: 5000,
    datastores: [{ name: 'counter', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/counter' }, versions: [{ name: '1', manager: 'counter' }] }],
  });
}, 240_000);
afterAll(() => setup?.cleanup(), 60_000);

const api = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, TOKEN, method, `/v1.0/acme${path}`, body);
const status = async (id: string) => (await api('GET', `/instances/${id}`)).body.instance as { status: string; fault?: { message: string } };

describe('kill -9 of a guest host mid-operation', () => {
  it('shows ERROR after the heartbeat expiry, fails the operation clearly, and recovers when the host is back', async () => {
    const id = (await api('POST', '/instances', { instance: { name: 'victim', datastore: { type: 'counter' } } })).body.instance.id as string;
    await waitFor(() => status(id), (s) => s.status === 'ACTIVE', 'ACTIVE');
    const pid = setup.server.provisioner!.pidOf(id)!;

    const operation = api('POST', `/instances/${id}/databases`, { databases: [{ name: 'slow-3000' }] });
    await waitFor(() => setup.server.store.tasks.listForInstance(id), (tasks) => tasks.some((t) => t.operation === 'create-databases'), 'the task to be sent');
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(pid, 'SIGKILL');

    const failed = await waitFor(() => status(id), (s) => s.status === 'ERROR', 'ERROR after the heartbeat expiry', 30_000);
    expect(failed.fault?.message).toMatch(/heartbeat/i);

    // the host is restarted, the hub re-sends the call, and the host's journal refuses to run it again
    const answer = await operation;
    expect(answer.status).toBe(502);
    expect(answer.body.error.code).toBe('BERTH_ERR_CALL_INTERRUPTED');

    await waitFor(() => status(id), (s) => s.status === 'ACTIVE', 'ACTIVE again', 30_000);
    expect(setup.server.provisioner!.pidOf(id)).not.toBe(pid);
    const log = join(setup.dir, 'instances', id, 'volume', 'effects.log');
    const effects = () => readFileSync(log, 'utf8').split('\n').filter(Boolean);
    // the interrupted operation never wrote its effect, and was not run again
    expect(existsSync(log)).toBe(false);
    expect((await api('POST', `/instances/${id}/databases`, { databases: [{ name: 'after' }] })).status).toBe(202);
    expect(effects()).toEqual(['after']);
  }, 120_000);
});
