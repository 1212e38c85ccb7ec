import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, startTestServer, type StartedTestServer } from '../support/server.js';

const TOKEN = 'acme-token-0123456789';
let setup: StartedTestServer;
let dir: string;
let id: string;

const api = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, TOKEN, method, `/v1.0/acme/instances/${id}${path}`, body);

const accountsFile = async () => JSON.parse(await readFile(join(dir, 'instances', id, 'volume', 'accounts.json'), 'utf8')) as { users: Array<{ name: string; password: string }>; restarts: number };

beforeAll(async () => {
  setup = await startTestServer({
    name: 'users',
    projects: { acme: TOKEN },
    managers: { accounts: 'accounts' },
    timeouts: { report_interval: 0.2 },
    datastores: [{ name: 'accounts', guest: { mount_point: '/var/lib/accounts' }, versions: [{ name: '1', manager: 'accounts' }] }],
    stopGuestsOnClose: true,
  });
  dir = setup.dir;
  const created = await apiRequest(setup.server.url, TOKEN, 'POST', '/v1.0/acme/instances', { instance: { name: 'accounts-db', datastore: { type: 'accounts' } } });
  id = (created.body as { instance: { id: string } }).instance.id;
  for (let i = 0; i < 300 && (await api('GET', '')).body.instance.status !== 'ACTIVE'; i++) await new Promise((resolve) => setTimeout(resolve, 100));
});
afterAll(() => setup?.cleanup());

describe('users, access, root and actions through the API (real guest)', () => {
  it('creates, reads, lists and refuses a duplicate user', async () => {
    expect((await api('POST', '/users', { users: [{ name: 'app', password: 'pw', databases: [{ name: 'orders' }] }] })).status).toBe(202);
    // user_hosts: this manager qualifies users by host ("%" by default, as MySQL)
    expect((await api('GET', '/users')).body).toEqual({ users: [{ name: 'app', host: '%', databases: [{ name: 'orders' }] }], user_hosts: true });
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
    expect((await api('GET', '/users')).body).toEqual({ users: [], user_hosts: false });
  });

  it('enables, shows and disables root', async () => {
    // the server makes the password (a manager has no entropy source) and the manager takes it
    expect((await api('POST', '/root')).body).toEqual({ user: { name: 'root', password: expect.stringMatching(/^[A-Za-z0-9_-]{36}$/) } });
    expect((await api('POST', '/root', { password: 'chosen-by-the-user' })).body).toEqual({ user: { name: 'root', password: 'chosen-by-the-user' } });
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
