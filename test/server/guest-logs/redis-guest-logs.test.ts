import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { redisDatastore } from '../../../server/registry/builtin-datastores.js';
import { requireDatastorePrograms } from '../../reliability/support/datastore-cases.js';
import { apiRequest, startTestServer, waitFor, type StartedTestServer } from '../../support/server.js';

// A manager with system logs only and no guest-log-action (Redis): the server
// lists and publishes its log, and refuses enable and disable itself.
requireDatastorePrograms();
const { versions: _versions, ...redis } = redisDatastore('7', '/usr/bin/redis-server', { path: '/placeholder', sha256: '0'.repeat(64) }) as { versions: unknown };
const TOKEN = 'redis-guest-logs-token-0123456789';
let setup: StartedTestServer;
const api = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, TOKEN, method, `/v1.0/acme${path}`, body);

beforeAll(async () => {
  setup = await startTestServer({
    name: 'redis-guest-logs',
    projects: { acme: TOKEN },
    managers: { redis: { entry: join(PACKAGE_ROOT, 'datastores', 'redis', 'manager.ts') } },
    timeouts: { report_interval: 1, heartbeat_expiry: 30, slow_call: 300 },
    datastores: [{ ...redis, versions: [{ name: '7', manager: 'redis' }] } as never],
    stopGuestsOnClose: true,
  });
}, 300_000);
afterAll(() => setup?.cleanup(), 120_000);

describe('guest logs of a Redis instance', { timeout: 300_000 }, () => {
  it('lists the server log, refuses to switch it, publishes it and serves its content', async () => {
    const created = await api('POST', '/instances', { instance: { name: 'cache', datastore: { type: 'redis' } } });
    const id = created.body.instance.id as string;
    await waitFor(() => api('GET', `/instances/${id}`), (r) => ['ACTIVE', 'ERROR'].includes(r.body.instance.status), 'ACTIVE', 180_000, 500);

    const listed = await api('GET', `/instances/${id}/log`);
    expect(listed.body.logs).toEqual([expect.objectContaining({ name: 'redis', type: 'SYS', status: 'Ready', published: 0, container: 'None' })]);
    for (const flag of ['enable', 'disable']) {
      const refused = await api('POST', `/instances/${id}/log`, { name: 'redis', [flag]: 1 });
      expect([refused.status, refused.body.error.code]).toEqual([400, 'BERTH_ERR_GUEST_LOG_ACTION_INVALID']);
    }
    // Trove lets a system log be published with enable set: the enable is moot
    const published = await api('POST', `/instances/${id}/log`, { name: 'redis', publish: 1, enable: 1 });
    expect(published.status).toBe(200);
    expect(published.body.log.published).toBeGreaterThan(0);
    expect(['Published', 'Partial']).toContain(published.body.log.status);
    const response = await fetch(`${setup.server.url}/v1.0/acme/instances/${id}/log/redis/content`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/Ready to accept connections/);
    const missing = await fetch(`${setup.server.url}/v1.0/acme/instances/${id}/log/redis/content?publication=9`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect([missing.status, ((await missing.json()) as { error: { code: string } }).error.code]).toEqual([404, 'BERTH_ERR_GUEST_LOG_NOT_PUBLISHED']);
    const traversal = await fetch(`${setup.server.url}/v1.0/acme/instances/${id}/log/..%2F..%2Fberth.db/content`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(traversal.status).toBe(400);
  });
});
