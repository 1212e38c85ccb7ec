import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenDigest } from '../../server/api/auth.js';
import { serverConfigSchema } from '../../server/config/server-config.js';
import { startServer, type RunningServer } from '../../server/server.js';
import { buildFixture } from '../support/components.js';
import { runHost } from '../support/guest-host.js';

const TOKEN = 'acme-token-0123456789';
let dir: string;
let server: RunningServer;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-external-'));
  const built = await buildFixture('counter', 'quickjs');
  const wasm = join(dir, 'counter.wasm');
  await writeFile(wasm, built.bytes);
  server = await startServer(
    serverConfigSchema.parse({
      server: { listen: '127.0.0.1:0', data_dir: dir },
      provisioner: { kind: 'external' },
      projects: [{ name: 'acme', tokens_sha256: [tokenDigest(TOKEN)] }],
      timeouts: { report_interval: 0.2 },
      datastores: [
        {
          name: 'counter',
          server: { usage_timeout: 60 },
          guest: { mount_point: join(dir, 'volume') },
          default_version: '1',
          versions: [
            { name: '1', manager: { path: wasm, sha256: built.sha256 } },
            // the same manager with a one-second usage_timeout
            { name: 'impatient', manager: { path: wasm, sha256: built.sha256 }, server: { usage_timeout: 1 } },
          ],
        },
      ],
    }),
  );
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}/v1.0/acme${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return (await response.json()) as any;
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
