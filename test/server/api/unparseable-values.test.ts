import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, startTestServer, type StartedTestServer } from '../../support/server.js';

/**
 * zod 4 throws, instead of failing, on an object whose `length` member cannot
 * become a number where text or a list belongs. A client that sends one gets
 * a validation error naming the fix, never an internal error.
 */
const TOKEN = 'acme-token-0123456789';
const HOSTILE = { length: { toString: 0 } };
let setup: StartedTestServer;
let url: string;

beforeAll(async () => {
  setup = await startTestServer({
    name: 'unparseable',
    projects: { acme: TOKEN },
    users: [{ name: 'alice', password: 'alice-password', projects: ['acme'] }],
    managers: { accounts: 'accounts' },
    datastores: [{ name: 'accounts', guest: { mount_point: '/var/lib/accounts' }, versions: [{ name: '1', manager: 'accounts' }] }],
    stopGuestsOnClose: true,
  });
  url = setup.server.url;
});
afterAll(async () => {
  await setup?.cleanup();
});

describe('values zod cannot check', () => {
  it.each([
    ['an instance name', '/v1.0/acme/instances', { instance: { name: HOSTILE, datastore: { type: 'accounts', version: '1' } } }],
    ['a list of databases', '/v1.0/acme/instances', { instance: { name: 'x', datastore: { type: 'accounts', version: '1' }, databases: HOSTILE } }],
    ['a configuration name', '/v1.0/acme/configurations', { configuration: { name: HOSTILE, values: {}, datastore: { type: 'accounts', version: '1' } } }],
  ])('refuses %s as a validation error', async (_label, path, body) => {
    const response = await apiRequest(url, TOKEN, 'POST', path, body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('BERTH_ERR_VALIDATION');
    expect((await apiRequest(url, TOKEN, 'GET', '/v1.0/acme/instances')).body.instances).toEqual([]);
  });

  it('refuses such a token id at the identity endpoint as a bad request', async () => {
    const body = { auth: { identity: { methods: ['token'], token: { id: HOSTILE } } } };
    const response = await apiRequest(url, null, 'POST', '/v3/auth/tokens', body);
    expect(response.status).toBe(400);
  });
});
