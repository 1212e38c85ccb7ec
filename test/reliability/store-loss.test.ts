import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiRequest, prepareTestServer, waitFor, type TestServer, type TestServerSetup } from '../support/server.js';
import { PrivatePostgres } from '../support/private-postgres.js';

// The server's own database goes away under it (PostgreSQL stopped as a crash would stop
// it; SQLite's disk full): requests answer 503 BERTH_ERR_STORE_UNAVAILABLE, never 500, the
// server stays up, and everything works again, with nothing lost, once the database is back.
const TOKEN = 'store-loss-token-0123456789';
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}, 120_000);

async function serverOn(name: string, databaseUrl: string): Promise<{ setup: TestServerSetup; server: TestServer }> {
  const setup = await prepareTestServer({
    name,
    projects: { acme: TOKEN },
    managers: { counter: 'counter' },
    timeouts: { report_interval: 0.3, heartbeat_expiry: 30 },
    datastores: [{ name: 'counter', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/counter' }, versions: [{ name: '1', manager: 'counter' }] }],
  });
  cleanups.push(() => setup.cleanup());
  setup.config.database = { url: databaseUrl };
  return { setup, server: await setup.start() };
}

function client(server: TestServer) {
  return (method: string, path: string, body?: unknown) => apiRequest(server.url, TOKEN, method, `/v1.0/acme${path}`, body);
}

describe('the server database lost and restored', () => {
  it('PostgreSQL stopped under the server: 503 while it is down, everything back once it returns', async () => {
    const database = await PrivatePostgres.create();
    cleanups.push(() => database.destroy());
    const { server } = await serverOn('store-loss-pg', database.url);
    const api = client(server);
    const id = (await api('POST', '/instances', { instance: { name: 'kept', datastore: { type: 'counter' } } })).body.instance.id as string;
    await waitFor(() => api('GET', `/instances/${id}`), (r) => r.body.instance?.status === 'ACTIVE', 'ACTIVE');

    database.stopImmediately();
    for (const [method, path, body] of [
      ['GET', `/instances/${id}`],
      ['GET', '/instances'],
      ['POST', '/instances', { instance: { name: 'lost', datastore: { type: 'counter' } } }],
      ['POST', `/instances/${id}/databases`, { databases: [{ name: 'never' }] }],
    ] as const) {
      const answer = await api(method, path, body);
      expect(answer.status, `${method} ${path}`).toBe(503);
      expect(answer.body.error.code).toBe('BERTH_ERR_STORE_UNAVAILABLE');
    }

    database.start();
    const shown = await waitFor(() => api('GET', `/instances/${id}`), (r) => r.status === 200, 'the store to answer again', 60_000);
    expect(shown.body.instance).toMatchObject({ id, name: 'kept' });
    expect((await api('POST', `/instances/${id}/databases`, { databases: [{ name: 'after' }] })).status).toBe(202);
    expect((await api('GET', '/instances')).body.instances.map((i: { name: string }) => i.name)).toEqual(['kept']);
  }, 180_000);

  it('SQLite on a full disk: writes answer 503, reads still work, and writes work again once there is room', async () => {
    if (process.getuid?.() !== 0) throw new Error('this test mounts a tmpfs: run it as root (CI does)');
    const mountDir = join(execFileSync('mktemp', ['-d']).toString().trim(), 'db');
    mkdirSync(mountDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountDir]);
    cleanups.push(() => execFileSync('umount', ['-l', mountDir]));
    const { server } = await serverOn('store-loss-sqlite', `sqlite:${join(mountDir, 'berth.db')}`);
    const api = client(server);
    const id = (await api('POST', '/instances', { instance: { name: 'kept', datastore: { type: 'counter' } } })).body.instance.id as string;
    await waitFor(() => api('GET', `/instances/${id}`), (r) => r.body.instance?.status === 'ACTIVE', 'ACTIVE');

    try {
      writeFileSync(join(mountDir, 'ballast'), Buffer.alloc(8 * 1024 * 1024));
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    // enough writes that the WAL needs a page the disk no longer has
    let refused: { status: number; body: any } | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const answer = await api('PATCH', `/instances/${id}`, { instance: { name: `renamed-${i}`.padEnd(60, 'x') } });
      if (answer.status !== 202) refused = answer;
    }
    expect(refused?.status).toBe(503);
    expect(refused?.body.error.code).toBe('BERTH_ERR_STORE_UNAVAILABLE');
    expect((await api('GET', `/instances/${id}`)).status).toBe(200);

    rmSync(join(mountDir, 'ballast'));
    const again = await api('POST', `/instances/${id}/databases`, { databases: [{ name: 'after' }] });
    expect(again.status).toBe(202);
  }, 180_000);
});
