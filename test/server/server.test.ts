import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalProvisioner } from '../../server/provisioning/local.js';
import { apiRequest, startTestServer, type StartedTestServer, type TestServer } from '../support/server.js';

const TOKENS = { acme: 'acme-token-0123456789', globex: 'globex-token-0123456789' };
let setup: StartedTestServer;
let dir: string;
let server: TestServer;
let provisioner: LocalProvisioner;

beforeAll(async () => {
  setup = await startTestServer({
    name: 'server',
    projects: TOKENS,
    managers: { counter: 'counter', 'three-ops': 'three-ops' },
    timeouts: { report_interval: 0.2, heartbeat_expiry: 5 },
    datastores: [
      {
        name: 'counter',
        server: { tcp_ports: ['7777', '7800-7810'], usage_timeout: 60, root_on_create: true },
        guest: { mount_point: '/var/lib/counter', greeting: 'from-the-registry' },
        versions: [{ name: '1', manager: 'counter' }],
      },
      // every grant three-ops asks for (the server's start check passes), but a program path this machine does
      // not have: the guest host refuses its config (BERTH_ERR_CONFIG_INVALID)
      {
        name: 'tinydb',
        local: { programs: ['/usr/local/bin/tinydb-ctl'], connections: { admin: { kind: 'postgresql', url: 'postgres://tiny@127.0.0.1:5432/tiny' } } },
        versions: [{ name: '1', manager: 'three-ops' }],
      },
    ],
  });
  ({ server, dir } = setup);
  provisioner = server.provisioner!;
});
afterAll(() => setup?.cleanup());

const api = (method: string, path: string, body?: unknown, token: string | null = TOKENS.acme) => apiRequest(server.url, token, method, path, body);

describe('the control plane end to end (real HTTP, real guest host process, real component)', () => {
  let id: string;

  it('creates an instance: BUILD, security-group rules from the ports, the root password once', async () => {
    const created = await api('POST', '/v1.0/acme/instances', { instance: { name: 'db1', datastore: { type: 'counter', version: '1' } } });
    expect(created.status).toBe(200);
    expect(created.body.instance).toMatchObject({
      name: 'db1',
      status: 'BUILD',
      datastore: { type: 'counter', version: '1' },
      security_groups: [{ rules: [
        { protocol: 'tcp', from_port: 7777, to_port: 7777, cidr: '0.0.0.0/0' },
        { protocol: 'tcp', from_port: 7800, to_port: 7810, cidr: '0.0.0.0/0' },
      ] }],
    });
    expect(created.body.instance.password).toMatch(/^[A-Za-z0-9_-]{36}$/);
    id = created.body.instance.id;
    const shown = await api('GET', `/v1.0/acme/instances/${id}`);
    expect(shown.body.instance).not.toHaveProperty('password');
  });

  it('turns ACTIVE when the local guest host reports RUNNING', async () => {
    let status = '';
    for (let i = 0; i < 300 && status !== 'ACTIVE'; i++) {
      status = (await api('GET', `/v1.0/acme/instances/${id}`)).body.instance.status;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe('ACTIVE');
    expect(provisioner.pidOf(id)).toBeGreaterThan(0);
  });

  it('creates and lists databases through the guest, with the guest-side option the registry gave', async () => {
    expect((await api('POST', `/v1.0/acme/instances/${id}/databases`, { databases: [{ name: 'orders' }, { name: 'audit' }] })).status).toBe(202);
    const listed = await api('GET', `/v1.0/acme/instances/${id}/databases`);
    expect(listed.body).toEqual({ databases: [{ name: 'orders', character_set: 'from-the-registry' }, { name: 'audit', character_set: 'from-the-registry' }] });
    expect(existsSync(join(dir, 'instances', id, 'volume', 'effects.log'))).toBe(true);
  });

  it('refuses an operation the manager does not support, without a guest round trip', async () => {
    const tasksBefore = (await server.store.tasks.listForInstance(id)).length;
    const refused = await api('GET', `/v1.0/acme/instances/${id}/users`);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'BERTH_ERR_OPERATION_UNSUPPORTED', message: expect.stringContaining('list-users is not supported by counter') });
    expect((await server.store.tasks.listForInstance(id)).length).toBe(tasksBefore);
  });

  it.each([
    ['another project', 'GET', (i: string) => `/v1.0/globex/instances/${i}`, TOKENS.globex, 404, 'BERTH_ERR_INSTANCE_NOT_FOUND'],
    ["another project's token", 'GET', (i: string) => `/v1.0/acme/instances/${i}`, TOKENS.globex, 403, 'BERTH_ERR_FORBIDDEN'],
    ['no token', 'GET', (i: string) => `/v1.0/acme/instances/${i}`, null, 401, 'BERTH_ERR_UNAUTHORIZED'],
    ['a malformed id', 'GET', () => '/v1.0/acme/instances/not-a-uuid', TOKENS.acme, 400, 'BERTH_ERR_VALIDATION'],
    // the token is checked before the id or the body: without one, nothing about the input is said
    ['a malformed id and no token', 'GET', () => '/v1.0/acme/instances/not-a-uuid', null, 401, 'BERTH_ERR_UNAUTHORIZED'],
    ["a malformed id and another project's token", 'DELETE', () => '/v1.0/acme/instances/not-a-uuid', TOKENS.globex, 403, 'BERTH_ERR_FORBIDDEN'],
  ])('refuses %s with its catalogue code', async (_label, method, path, token, status, code) => {
    const response = await api(method, path(id), undefined, token);
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
  });

  it.each([
    ['an unknown datastore', { instance: { name: 'x', datastore: { type: 'oracle' } } }, 404, 'BERTH_ERR_DATASTORE_NOT_FOUND'],
    ['a body without a name', { instance: { datastore: { type: 'counter' } } }, 400, 'BERTH_ERR_VALIDATION'],
    ['an unknown field', { instance: { name: 'x', datastore: { type: 'counter' }, flavour: 'large' } }, 400, 'BERTH_ERR_VALIDATION'],
    ['databases a manager without prepare cannot create', { instance: { name: 'x', datastore: { type: 'counter' }, databases: [{ name: 'a' }] } }, 400, 'BERTH_ERR_OPERATION_UNSUPPORTED'],
  ])('refuses to create with %s', async (_label, body, status, code) => {
    const response = await api('POST', '/v1.0/acme/instances', body);
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
  });

  it('lists only the project\'s own instances', async () => {
    expect((await api('GET', '/v1.0/acme/instances')).body.instances.map((i: { id: string }) => i.id)).toContain(id);
    expect((await api('GET', '/v1.0/globex/instances', undefined, TOKENS.globex)).body.instances).toEqual([]);
  });

  it('shows ERROR with the reason when the guest host refuses its config, instead of restarting it forever', async () => {
    const created = await api('POST', '/v1.0/acme/instances', { instance: { name: 'needy', datastore: { type: 'tinydb' } } });
    let instance = created.body.instance;
    for (let i = 0; i < 300 && instance.status === 'BUILD'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      instance = (await api('GET', `/v1.0/acme/instances/${instance.id}`)).body.instance;
    }
    expect(instance.status).toBe('ERROR');
    expect(instance.fault.message).toMatch(/BERTH_ERR_CONFIG_INVALID.*tinydb-ctl does not exist/s);
    expect((await api('DELETE', `/v1.0/acme/instances/${instance.id}`)).status).toBe(202);
  });

  it('deletes: the guest process stops, its files go, its token no longer lets it in', async () => {
    const pid = provisioner.pidOf(id)!;
    expect((await api('DELETE', `/v1.0/acme/instances/${id}`)).status).toBe(202);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(join(dir, 'instances', id))).toBe(false);
    expect((await api('GET', `/v1.0/acme/instances/${id}`)).status).toBe(404);
    expect(server.hub.isConnected(id)).toBe(false);
  });
});
