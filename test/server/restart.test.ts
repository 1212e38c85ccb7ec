import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenDigest } from '../../server/api/auth.js';
import { serverConfigSchema, type ServerConfig } from '../../server/config/server-config.js';
import { startServer, type RunningServer } from '../../server/server.js';
import { buildFixture } from '../support/components.js';

const TOKEN = 'acme-token-0123456789';
const ADMIN_URL = process.env.BERTH_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function request(server: RunningServer, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}/v1.0/acme${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as any) : undefined };
}

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each(['sqlite', 'postgresql'] as const)('a server restart mid-operation (%s store)', (engine) => {
  let dir: string;
  let config: ServerConfig;
  let databaseName: string | undefined;
  let stopGuests: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `berth-restart-${engine}-`));
    const built = await buildFixture('counter', 'quickjs');
    const wasm = join(dir, 'counter.wasm');
    await writeFile(wasm, built.bytes);
    let url = `sqlite:${join(dir, 'berth.db')}`;
    if (engine === 'postgresql') {
      databaseName = `berth_restart_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: ADMIN_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${databaseName}`);
      await admin.end();
      url = ADMIN_URL.replace(/\/[^/]*$/, `/${databaseName}`);
    }
    config = serverConfigSchema.parse({
      server: { listen: '127.0.0.1:0', data_dir: dir },
      database: { url },
      projects: [{ name: 'acme', tokens_sha256: [tokenDigest(TOKEN)] }],
      timeouts: { report_interval: 0.2, heartbeat_expiry: 10 },
      datastores: [{ name: 'counter', server: { usage_timeout: 60 }, versions: [{ name: '1', manager: { path: wasm, sha256: built.sha256 } }] }],
    });
  });
  afterAll(async () => {
    await stopGuests?.();
    if (databaseName) {
      const admin = new pg.Client({ connectionString: ADMIN_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
      await admin.end();
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every record, gets its guest back, and completes the interrupted operation exactly once', async () => {
    const first = await startServer(config);
    const created = await request(first, 'POST', '/instances', { instance: { name: 'db', datastore: { type: 'counter' } } });
    const id = created.body.instance.id as string;
    await waitFor(() => request(first, 'GET', `/instances/${id}`), (r) => r.body.instance.status === 'ACTIVE', 'ACTIVE');

    // an operation that takes 1.5 s; the server stops 0.3 s into it
    const interrupted = request(first, 'POST', `/instances/${id}/databases`, { databases: [{ name: 'slow-1500' }] }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const listen = new URL(first.url);
    await first.close();
    await interrupted;

    config.server.listen = `${listen.hostname}:${listen.port}`;
    const second = await startServer(config);
    stopGuests = async () => {
      await request(second, 'DELETE', `/instances/${id}`);
      await second.close();
    };
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
