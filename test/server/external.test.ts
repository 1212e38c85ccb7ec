import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenDigest } from '../../server/api/auth.js';
import { runHost } from '../support/guest-host.js';
import { apiRequest, startTestServer, type StartedTestServer, type TestServer } from '../support/server.js';
import WebSocket from 'ws';
import { RpcPeer } from '../../host/rpc/peer.js';
import { SUBPROTOCOL } from '../../host/rpc/protocol.js';
import { webSocketTransport } from '../../host/rpc/transport.js';
import { BerthError } from '../../datastores/errors/berth-error.js';

const TOKEN = 'acme-token-0123456789';
let setup: StartedTestServer;
let dir: string;
let server: TestServer;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-external-'));
  setup = await startTestServer({
    name: 'external',
    dataDir: dir,
    provisioner: 'external',
    projects: { acme: TOKEN },
    managers: { counter: 'counter' },
    timeouts: { report_interval: 0.2 },
    datastores: [
      {
        name: 'counter',
        server: { usage_timeout: 60 },
        guest: { mount_point: join(dir, 'volume') },
        default_version: '1',
        versions: [
          { name: '1', manager: 'counter' },
          // the same manager with a one-second usage_timeout
          { name: 'impatient', manager: 'counter', server: { usage_timeout: 1 } },
        ],
      },
    ],
  });
  ({ server } = setup);
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await setup?.cleanup();
});

async function api(method: string, path: string, body?: unknown) {
  return (await apiRequest(server.url, TOKEN, method, `/v1.0/acme${path}`, body)).body;
}

async function statusOf(id: string, until: (status: string) => boolean): Promise<any> {
  for (let i = 0; i < 300; i++) {
    const instance = (await api('GET', `/instances/${id}`)).instance;
    if (until(instance.status)) return instance;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`instance ${id} stayed ${(await api('GET', `/instances/${id}`)).instance.status}`);
}

describe('the external provisioner', () => {
  it('returns the guest config once; a host started with it dials in and the instance turns ACTIVE', async () => {
    const created = await api('POST', '/instances', { instance: { name: 'remote', datastore: { type: 'counter' } } });
    expect(created.instance.status).toBe('BUILD');
    // root_on_create is off for this datastore: no password in the response
    expect(created.instance).not.toHaveProperty('password');
    const guestConfig = parse(created.guest_config as string) as { guest: { token: string; server_url: string; instance_id: string } };
    expect(guestConfig.guest).toMatchObject({ instance_id: created.instance.id, server_url: server.guestUrl });
    expect(guestConfig.guest.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // the token is stored only as its hash
    expect((await server.store.instances.getById(created.instance.id))!.tokenSha256).toBe(tokenDigest(guestConfig.guest.token));
    expect(JSON.stringify(await api('GET', `/instances/${created.instance.id}`))).not.toContain(guestConfig.guest.token);

    await mkdir(join(dir, 'volume'), { recursive: true });
    const configPath = join(dir, 'guest.toml');
    await writeFile(configPath, created.guest_config as string);
    runHost(configPath, cleanups);
    expect((await statusOf(created.instance.id, (s) => s !== 'BUILD')).status).toBe('ACTIVE');
  });

  it("turns an instance whose guest never reports to ERROR within its datastore's usage_timeout", async () => {
    const created = await api('POST', '/instances', { instance: { name: 'never', datastore: { type: 'counter', version: 'impatient' } } });
    const failed = await statusOf(created.instance.id, (s) => s !== 'BUILD');
    expect(failed.status).toBe('ERROR');
    expect(failed.fault.message).toContain('FAILED_TIMEOUT_GUESTAGENT');
    const elapsed = Date.parse(failed.updated) - Date.parse(failed.created);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
  });
});

describe('the guest channel of a real server', () => {
  async function hello(instanceId: string, token: string): Promise<unknown> {
    const socket = new WebSocket(server.guestUrl, SUBPROTOCOL);
    const transport = webSocketTransport(socket);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const peer = new RpcPeer(transport);
    try {
      return await peer.request('guest.hello', { instanceId, token, hostVersion: '0.1.0', manifest: {}, sha256: 'a'.repeat(64) }, 5000, 'hello');
    } catch (error) {
      return error;
    } finally {
      socket.close();
    }
  }

  it("refuses a wrong token, and one instance's token for another instance", async () => {
    const a = await api('POST', '/instances', { instance: { name: 'a', datastore: { type: 'counter' } } });
    const b = await api('POST', '/instances', { instance: { name: 'b', datastore: { type: 'counter' } } });
    const tokenOf = (created: any) => (parse(created.guest_config as string) as { guest: { token: string } }).guest.token;
    expect(await hello(a.instance.id, tokenOf(a))).toEqual({ reportIntervalMs: 200 });
    for (const [instance, token] of [
      [a.instance.id, 'wrong-token-0123456789'],
      [a.instance.id, tokenOf(b)],
      ['00000000-0000-0000-0000-000000000000', tokenOf(a)],
    ] as const) {
      const refused = await hello(instance, token);
      expect(refused).toBeInstanceOf(BerthError);
      expect((refused as BerthError).code).toBe('BERTH_ERR_RPC_HANDSHAKE');
    }
    // a deleted instance's token no longer lets its guest in
    await api('DELETE', `/instances/${a.instance.id}`);
    expect(((await hello(a.instance.id, tokenOf(a))) as BerthError).code).toBe('BERTH_ERR_RPC_HANDSHAKE');
  });
});
