import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../server/provisioning/local-machine.js';
import { apiRequest, prepareTestServer, waitFor, type TestServer, type TestServerSetup } from '../support/server.js';
import { TcpProxy } from '../support/tcp-proxy.js';

// The guest channel through a proxy that delays traffic, cuts every connection, and
// refuses new ones for a while: operations complete exactly once or fail with a clear
// error, and the instance's status follows the link down and back up.
const TOKEN = 'net-token-0123456789abcdef';
let setup: TestServerSetup;
let server: TestServer;
let proxy: TcpProxy;

beforeAll(async () => {
  setup = await prepareTestServer({
    name: 'network-cut',
    projects: { acme: TOKEN },
    managers: { counter: 'counter' },
    timeouts: { report_interval: 0.3, heartbeat_expiry: 2, quick_call: 60 },
    datastores: [{ name: 'counter', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/counter' }, versions: [{ name: '1', manager: 'counter' }] }],
  });
  const port = await freePort();
  proxy = await TcpProxy.start(port);
  setup.config.server.listen = `127.0.0.1:${port}`;
  // guests dial the proxy, not the server
  setup.config.server.guest_url = `ws://127.0.0.1:${proxy.port}/v1/guests`;
  server = await setup.start();
}, 240_000);
afterAll(async () => {
  await proxy?.close();
  await setup?.cleanup();
}, 60_000);

const api = (method: string, path: string, body?: unknown) => apiRequest(server.url, TOKEN, method, `/v1.0/acme${path}`, body);
const status = async (id: string) => (await api('GET', `/instances/${id}`)).body.instance.status as string;

describe('the guest channel cut, delayed and restored', () => {
  let id: string;
  const effects = () => readFileSync(join(setup.dir, 'instances', id, 'volume', 'effects.log'), 'utf8').split('\n').filter(Boolean);

  it('works through a slow link (every chunk delayed 150 ms each way)', async () => {
    id = (await api('POST', '/instances', { instance: { name: 'far', datastore: { type: 'counter' } } })).body.instance.id;
    await waitFor(() => status(id), (s) => s === 'ACTIVE', 'ACTIVE');
    proxy.delayMs = 150;
    expect((await api('POST', `/instances/${id}/databases`, { databases: [{ name: 'slow-link' }] })).status).toBe(202);
    proxy.delayMs = 0;
    expect(effects()).toEqual(['slow-link']);
  });

  it('completes an operation exactly once when the link is cut in the middle of it', async () => {
    const before = proxy.accepted;
    const operation = api('POST', `/instances/${id}/databases`, { databases: [{ name: 'slow-1500' }] });
    await new Promise((resolve) => setTimeout(resolve, 400));
    proxy.cut();
    const answer = await operation;
    expect(answer.status).toBe(202);
    expect(proxy.accepted).toBeGreaterThan(before); // the host dialled again
    expect(effects()).toEqual(['slow-link', 'slow-1500']);
  });

  it('shows ERROR while the link stays down past the heartbeat expiry, and ACTIVE once it is back', async () => {
    proxy.refuse();
    await waitFor(() => status(id), (s) => s === 'ERROR', 'ERROR while the link is down', 30_000);
    // an operation sent meanwhile waits for the guest rather than failing at once
    const waiting = api('POST', `/instances/${id}/databases`, { databases: [{ name: 'while-down' }] });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    proxy.restore();
    await waitFor(() => status(id), (s) => s === 'ACTIVE', 'ACTIVE again', 60_000);
    expect((await waiting).status).toBe(202);
    expect(effects()).toEqual(['slow-link', 'slow-1500', 'while-down']);
  }, 120_000);
});
