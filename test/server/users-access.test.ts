import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenDigest } from '../../server/api/auth.js';
import { serverConfigSchema } from '../../server/config/server-config.js';
import { startServer, type RunningServer } from '../../server/server.js';
import { buildFixture } from '../support/components.js';

const TOKEN = 'acme-token-0123456789';
let dir: string;
let server: RunningServer;
let id: string;

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}/v1.0/acme/instances/${id}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as any) : undefined };
}

const accountsFile = async () => JSON.parse(await readFile(join(dir, 'instances', id, 'volume', 'accounts.json'), 'utf8')) as { users: Array<{ name: string; password: string }>; restarts: number };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-users-'));
  const built = await buildFixture('accounts', 'quickjs');
  const wasm = join(dir, 'accounts.wasm');
  await writeFile(wasm, built.bytes);
  server = await startServer(
    serverConfigSchema.parse({
      server: { listen: '127.0.0.1:0', data_dir: dir },
      projects: [{ name: 'acme', tokens_sha256: [tokenDigest(TOKEN)] }],
      timeouts: { report_interval: 0.2 },
      datastores: [{ name: 'accounts', guest: { mount_point: '/var/lib/accounts' }, versions: [{ name: '1', manager: { path: wasm, sha256: built.sha256 } }] }],
    }),
    { stopGuestsOnClose: true },
  );
  const created = await fetch(`${server.url}/v1.0/acme/instances`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ instance: { name: 'accounts-db', datastore: { type: 'accounts' } } }),
  });
  id = ((await created.json()) as { instance: { id: string } }).instance.id;
  for (let i = 0; i < 300 && (await api('GET', '')).body.instance.status !== 'ACTIVE'; i++) await new Promise((resolve) => setTimeout(resolve, 100));
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('users, access, root and actions through the API (real guest)', () => {
  it('creates, reads, lists and refuses a duplicate user', async () => {
    expect((await api('POST', '/users', { users: [{ name: 'app', password: 'pw', databases: [{ name: 'orders' }] }] })).status).toBe(202);
    expect((await api('GET', '/users')).body).toEqual({ users: [{ name: 'app', host: '%', databases: [{ name: 'orders' }] }] });
    expect((await api('GET', '/users/app')).body).toEqual({ user: { name: 'app', host: '%', databases: [{ name: 'orders' }] } });
    const duplicate = await api('POST', '/users', { users: [{ name: 'app', password: 'pw' }] });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.code).toBe('BERTH_ERR_MANAGER_ALREADY_EXISTS');
    expect((await api('GET', '/users/ghost')).body.error.code).toBe('BERTH_ERR_MANAGER_NOT_FOUND');
  });

  it('grants, lists and revokes access', async () => {
    expect((await api('PUT', '/users/app/databases', { databases: [{ name: 'audit' }] })).status).toBe(202);
    expect((await api('GET', '/users/app/databases')).body).toEqual({ databases: [{ name: 'orders' }, { name: 'audit' }] });
    expect((await api('DELETE', '/users/app/databases/orders')).status).toBe(202);
    expect((await api('GET', '/users/app/databases')).body).toEqual({ databases: [{ name: 'audit' }] });
    const again = await api('DELETE', '/users/app/databases/orders');
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('BERTH_ERR_MANAGER_NOT_FOUND');
  });

  it('changes passwords, renames and deletes a user', async () => {
    expect((await api('PUT', '/users', { users: [{ name: 'app', password: 'rotated' }] })).status).toBe(202);
    expect((await accountsFile()).users.find((u) => u.name === 'app')?.password).toBe('rotated');
    expect((await api('PUT', '/users/app', { user: { name: 'app2' } })).status).toBe(202);
    expect((await api('GET', '/users/app2')).status).toBe(200);
    expect((await api('GET', '/users/app')).status).toBe(404);
    expect((await api('DELETE', '/users/app2')).status).toBe(202);
    expect((await api('GET', '/users')).body).toEqual({ users: [] });
  });

  it('enables, shows and disables root', async () => {
    expect((await api('POST', '/root')).body).toEqual({ user: { name: 'root', password: 'generated-root-password' } });
    expect((await api('GET', '/root')).body).toEqual({ rootEnabled: true });
    expect((await api('DELETE', '/root')).status).toBe(202);
    expect((await api('GET', '/root')).body).toEqual({ rootEnabled: false });
  });

  it('restarts through the action endpoint and renames the instance', async () => {
    expect((await api('POST', '/action', { restart: {} })).status).toBe(202);
    expect((await accountsFile()).restarts).toBe(1);
    expect((await api('PATCH', '', { instance: { name: 'renamed' } })).status).toBe(202);
    expect((await api('GET', '')).body.instance.name).toBe('renamed');
    expect((await api('POST', '/action', { resize: {} })).body.error.code).toBe('BERTH_ERR_VALIDATION');
  });
});
