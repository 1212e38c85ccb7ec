import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultName } from '../../../server/api/fault-body.js';
import { runProcess } from '../../support/cli.js';
import { apiRequest, startTestServer, type StartedTestServer } from '../../support/server.js';

const TOKEN = 'acme-token-for-fault-bodies';
let setup: StartedTestServer;
const api = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, TOKEN, method, `/v1.0/acme${path}`, body);
const MISSING = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  setup = await startTestServer({
    name: 'fault-body',
    projects: { acme: TOKEN },
    managers: { counter: 'counter' },
    datastores: [{ name: 'counter', versions: [{ name: '1', manager: 'counter' }] }],
  });
}, 120_000);
afterAll(async () => setup?.cleanup());

describe("errors in Trove's fault shape", () => {
  it('names the fault first, with the HTTP status and the message and fix, and keeps the catalogue entry beside it', async () => {
    const refused = await api('POST', '/instances', { instance: { name: 'x', datastore: { type: 'counter' }, volume: { size: 'big' } } });
    expect(refused.status).toBe(400);
    expect(Object.keys(refused.body)[0]).toBe('badRequest');
    expect(refused.body.badRequest.code).toBe(400);
    expect(refused.body.badRequest.message).toContain('volume.size');
    expect(refused.body.badRequest.message).toContain(refused.body.error.fix);
    expect(refused.body.error.code).toBe('BERTH_ERR_VALIDATION');
  });

  it('answers an unknown instance with itemNotFound and an unknown route the same way', async () => {
    const missing = await api('GET', `/instances/${MISSING}`);
    expect(missing.status).toBe(404);
    expect(Object.keys(missing.body)).toEqual(['itemNotFound', 'error']);
    expect(missing.body.error.code).toBe('BERTH_ERR_INSTANCE_NOT_FOUND');
    const route = await api('GET', '/no-such-thing');
    expect(Object.keys(route.body)[0]).toBe('itemNotFound');
    expect(route.body.error.code).toBe('BERTH_ERR_ROUTE_NOT_FOUND');
  });

  it('answers a missing token with unauthorized', async () => {
    const refused = await apiRequest(setup.server.url, 'not-a-token', 'GET', '/v1.0/acme/instances');
    expect(refused.status).toBe(401);
    expect(Object.keys(refused.body)[0]).toBe('unauthorized');
  });

  it("names statuses Trove has no name for as Trove's fallback does", () => {
    expect(faultName(409)).toBe('conflict');
    expect(faultName(422)).toBe('unprocessableEntity');
    expect(faultName(504)).toBe('gatewayTimeout');
  });

  it("is what the unmodified troveclient raises: Berth's message and the HTTP status", async () => {
    const script = [
      'import sys',
      'from keystoneauth1 import session, token_endpoint',
      'from troveclient import client',
      'trove = client.Client("1.0", session=session.Session(auth=token_endpoint.Token(sys.argv[1], sys.argv[2])))',
      'try:',
      '    trove.instances.get(sys.argv[3])',
      'except Exception as error:',
      '    print(type(error).__name__, error)',
    ].join('\n');
    const run = await runProcess('/usr/bin/python3', ['-c', script, `${setup.server.url}/v1.0/acme`, TOKEN, MISSING], {});
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('NotFound');
    expect(run.stdout).toContain(`no instance ${MISSING} in project acme`);
    expect(run.stdout).toMatch(/HTTP 404/);
  });
});
