import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/server.js';
import { apiRequest, prepareTestServer, waitFor, type TestServerSetup } from '../support/server.js';

const TOKEN = 'acme-token-0123456789';

const request = (server: RunningServer, method: string, path: string, body?: unknown) => apiRequest(server.url, TOKEN, method, `/v1.0/acme${path}`, body);

describe.each(['sqlite', 'postgresql'] as const)('a server restart mid-operation (%s store)', (engine) => {
  let setup: TestServerSetup;
  let dir: string;

  beforeAll(async () => {
    setup = await prepareTestServer({
      name: `restart-${engine}`,
      store: engine,
      projects: { acme: TOKEN },
      managers: { counter: 'counter' },
      timeouts: { report_interval: 0.2, heartbeat_expiry: 10 },
      datastores: [{ name: 'counter', server: { usage_timeout: 60 }, versions: [{ name: '1', manager: 'counter' }] }],
    });
    dir = setup.dir;
  });
  afterAll(() => setup?.cleanup());

  it('keeps every record, gets its guest back, and completes the interrupted operation exactly once', async () => {
    const first = await setup.start();
    const created = await request(first, 'POST', '/instances', { instance: { name: 'db', datastore: { type: 'counter' } } });
    const id = created.body.instance.id as string;
    await waitFor(() => request(first, 'GET', `/instances/${id}`), (r) => r.body.instance.status === 'ACTIVE', 'ACTIVE');

    // an operation that takes 1.5 s; the server stops 0.3 s into it
    const interrupted = request(first, 'POST', `/instances/${id}/databases`, { databases: [{ name: 'slow-1500' }] }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const listen = new URL(first.url);
    await first.close();
    await interrupted;

    setup.config.server.listen = `${listen.hostname}:${listen.port}`;
    const second = await setup.start();
    // state intact
    const shown = await request(second, 'GET', `/instances/${id}`);
    expect(shown.body.instance).toMatchObject({ id, name: 'db', datastore: { type: 'counter' } });
    // the guest is back (it kept running and reconnected) and the accepted operation finished once
    await waitFor(() => second.store.tasks.listForInstance(id), (tasks) => tasks.every((t) => t.state === 'succeeded' || t.state === 'failed'), 'the resumed task');
    const tasks = await second.store.tasks.listForInstance(id);
    expect(tasks.find((t) => t.operation === 'create-databases')?.state).toBe('succeeded');
    const effects = (await readFile(join(dir, 'instances', id, 'volume', 'effects.log'), 'utf8')).split('\n').filter(Boolean);
    expect(effects).toEqual(['slow-1500']);
    const listed = await waitFor(() => request(second, 'GET', `/instances/${id}/databases`), (r) => r.status === 200, 'databases');
    expect(listed.body.databases.map((d: { name: string }) => d.name)).toEqual(['slow-1500']);
    expect((await request(second, 'GET', `/instances/${id}`)).body.instance.status).toBe('ACTIVE');
  });
});
