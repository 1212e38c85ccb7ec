/**
 * The control plane. Part 1: the API -> guest -> component -> API round trip
 * of a trivial operation (GET .../databases on a local counter guest),
 * sequential latency and 16-client throughput, with a breakdown of where a
 * request's time goes. Part 2: a `berth server` child process with the
 * external provisioner and N simulated idle guests speaking the real protocol
 * (hello, then heartbeats every report interval): server RSS, every instance
 * ACTIVE, and API latency while they are connected, stepping N up.
 * Run with `npm run bench:server`; figures go into BENCHMARKS.md.
 * Targets (issue 4): round trip p50 < 2 ms; 5,000 guests < 600 MB.
 * Traffic stays on 127.0.0.1; the child server, the guests' sockets and the
 * temporary directories are closed and removed at the end.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenDigest } from '../server/api/auth.js';
import { buildFixture } from '../test/support/components.js';
import { connectGuest, createInstance, startChildServer, type CallHandler, type ChildServer, type GuestIdentity, type SimulatedGuest } from './simulated-fleet.js';
import {
  BENCH_PROJECT as PROJECT,
  BENCH_TOKEN as TOKEN,
  apiGet as get,
  counterDatastore,
  machineLine,
  percentile,
  procStatus,
  sequential,
  sleep,
  startCounterApi,
} from './support.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2_000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 200);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const THROUGHPUT_S = Number(process.env.BENCH_THROUGHPUT_S ?? 5);
const STEPS = (process.env.BENCH_GUESTS ?? '500,1000,2000,5000').split(',').map(Number);
const REPORT_S = Number(process.env.BENCH_REPORT_INTERVAL ?? 5);
/** Part 2 stops stepping when the next step would end after this. */
const BUDGET_S = Number(process.env.BENCH_BUDGET_S ?? 420);
const CREATE_CLIENTS = 8;
const DIAL_IN_FLIGHT = 200;
const LATENCY_SAMPLES = 500;


const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(0));
const cleanups: Array<() => void> = [];
process.once('exit', () => cleanups.splice(0).reverse().forEach((cleanup) => cleanup()));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const built = await buildFixture('counter', 'quickjs');

const datastore = (wasm: string, mountPoint: string, usageTimeout: number) => counterDatastore(built, wasm, mountPoint, usageTimeout);

// ---------------------------------------------------------------- part 1

interface RoundTrip {
  createToActiveMs: number;
  seq: number[];
  /** The same sequential run again after the throughput phase: both ends' JIT (and V8's wasm tier-up in the host) warm. */
  steady: number[];
  throughput: number;
  underLoad: number[];
  errors: number;
  instanceGet: number[];
  hubCall: number[];
  /** Mean ms per GET .../databases in an instrumented pass: whole request, in the store, in hub.call. */
  split: { total: number; store: number; guest: number };
}

async function roundTrip(): Promise<RoundTrip> {
  const api = await startCounterApi(built, REPORT_S);
  cleanups.push(() => rmSync(api.dir, { recursive: true, force: true }));
  try {
    const { server, base, id, createToActiveMs } = api;

    const databases = `${base}/${id}/databases`;
    const seq = await sequential(REQUESTS, WARMUP, () => get(databases));

    // throughput: CLIENTS keep-alive clients for a fixed time
    let done = 0;
    let errors = 0;
    const underLoad: number[] = [];
    const end = performance.now() + THROUGHPUT_S * 1000;
    const throughputStart = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          try {
            await get(databases);
            done++;
            underLoad.push(performance.now() - t);
          } catch {
            errors++;
          }
        }
      }),
    );
    const throughput = done / ((performance.now() - throughputStart) / 1000);
    const steady = await sequential(REQUESTS, 0, () => get(databases));

    // where a request's time goes: the API without the guest, the guest without the API, the task record
    const instanceGet = await sequential(REQUESTS / 2, WARMUP, () => get(`${base}/${id}`));
    const paging = { limit: undefined, marker: undefined, includeMarker: false };
    const hubCall = await sequential(REQUESTS / 2, WARMUP, () => server.hub.call(id, 'list-databases', [paging], 5000));
    // the same request, instrumented: time inside the store's methods and inside hub.call (the guest round trip)
    const spent = { store: 0, guest: 0 };
    const restore: Array<() => void> = [];
    const wrap = (target: Record<string, unknown>, key: string, bucket: keyof typeof spent) => {
      const original = target[key] as (...args: unknown[]) => Promise<unknown>;
      target[key] = async function (this: unknown, ...args: unknown[]) {
        const t = performance.now();
        try {
          return await original.apply(this, args);
        } finally {
          spent[bucket] += performance.now() - t;
        }
      };
      restore.push(() => (target[key] = original));
    };
    for (const table of [server.store.instances, server.store.tasks] as unknown as Array<Record<string, unknown>>) {
      for (const key of Object.keys(table)) wrap(table, key, 'store');
    }
    wrap(server.hub as unknown as Record<string, unknown>, 'call', 'guest');
    const instrumented = await sequential(REQUESTS / 2, 0, () => get(databases));
    restore.forEach((undo) => undo());
    const n = instrumented.length;
    const split = { total: instrumented.reduce((a, b) => a + b, 0) / n, store: spent.store / n, guest: spent.guest / n };
    return { createToActiveMs, seq, steady, throughput, underLoad, errors, instanceGet, hubCall, split };
  } finally {
    await api.close();
  }
}

// ---------------------------------------------------------------- part 2

interface Step {
  guests: number;
  createRate: number;
  createMs: number;
  helloRate: number;
  helloFailures: number;
  rss: number;
  cpuPercent: number;
  active: number;
  listMs: number;
  getP50: number;
  getP99: number;
  disconnects: number;
}

interface FleetResult {
  startRss: number;
  steps: Step[];
  skipped: string[];
  peakRss: number;
}

async function startFleetServer(dir: string, wasm: string): Promise<ChildServer> {
  const server = await startChildServer(dir, {
    server: { listen: '127.0.0.1:0', data_dir: dir },
    provisioner: { kind: 'external' },
    projects: [{ name: PROJECT, tokens_sha256: [tokenDigest(TOKEN)] }],
    timeouts: { report_interval: REPORT_S },
    datastores: [datastore(wasm, '/var/lib/counter', 3600)],
  });
  const { child } = server;
  cleanups.push(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  return server;
}

async function fleet(): Promise<FleetResult> {
  const deadline = performance.now() + BUDGET_S * 1000;
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-fleet-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const wasm = join(dir, 'counter.wasm');
  await writeFile(wasm, built.bytes);
  const { child, url, logPath } = await startFleetServer(dir, wasm);
  const pid = child.pid!;
  const guests: SimulatedGuest[] = [];
  const instances: GuestIdentity[] = [];
  let disconnects = 0;
  let stopping = false;
  const result: FleetResult = { startRss: 0, steps: [], skipped: [], peakRss: 0 };
  try {
    await sleep(1000);
    result.startRss = procStatus(pid, 'VmRSS');
    const base = `${url}/v1.0/${PROJECT}/instances`;
    const create = (n: number) => createInstance(url, PROJECT, TOKEN, `sim-${n}`, 'counter');
    // idle guests: the bench never calls them
    const idle: CallHandler = async () => ({ ok: 'running' });
    const connect = async (instance: GuestIdentity): Promise<void> => {
      const guest = await connectGuest(instance, { manifest: built.manifest, sha256: built.sha256 }, idle, REPORT_S * 1000);
      guests.push(guest);
      guest.peer.onClose(() => {
        if (!stopping) disconnects++;
      });
    };

    /** Run `work(i)` for i in [from, to) with at most `width` in flight. */
    const pool = async (from: number, to: number, width: number, work: (i: number) => Promise<void>) => {
      let next = from;
      await Promise.all(Array.from({ length: Math.min(width, to - from) }, async () => {
        while (next < to) await work(next++);
      }));
    };

    let lastStepS = 0;
    let perInstanceS = 0;
    for (const target of STEPS) {
      const stepStart = performance.now();
      if (perInstanceS > 0) {
        const estimateS = (target - instances.length) * perInstanceS + 2 * REPORT_S + 10;
        if (performance.now() + estimateS * 1000 > deadline) {
          result.skipped.push(`${target} guests: estimated ${estimateS.toFixed(0)} s, beyond the ${BUDGET_S} s budget`);
          break;
        }
      }
      const from = instances.length;
      const createStart = performance.now();
      await pool(from, target, CREATE_CLIENTS, async (i) => void (instances[i] = await create(i)));
      const createMs = performance.now() - createStart;

      let helloFailures = 0;
      const helloStart = performance.now();
      await pool(from, target, DIAL_IN_FLIGHT, (i) => connect(instances[i]!).catch(() => void helloFailures++));
      const helloMs = performance.now() - helloStart;

      // two report intervals of heartbeats from every guest
      const cpuBefore = cpuSeconds(pid);
      const windowStart = performance.now();
      await sleep(2 * REPORT_S * 1000 + 500);
      const cpuPercent = ((cpuSeconds(pid) - cpuBefore) / ((performance.now() - windowStart) / 1000)) * 100;
      const rss = procStatus(pid, 'VmRSS');

      let active = 0;
      let listMs = 0;
      for (let attempt = 0; attempt < 5; attempt++) {
        const t = performance.now();
        const listed = (await get(base)) as { instances: Array<{ status: string }> };
        listMs = performance.now() - t;
        active = listed.instances.filter((i) => i.status === 'ACTIVE').length;
        if (active === instances.length) break;
        await sleep(1000);
      }
      const one = `${base}/${instances[Math.floor(instances.length / 2)]!.id}`;
      const times = await sequential(LATENCY_SAMPLES, 50, () => get(one));
      result.steps.push({
        guests: target,
        createRate: (target - from) / (createMs / 1000),
        createMs,
        helloRate: (target - from) / (helloMs / 1000),
        helloFailures,
        rss,
        cpuPercent,
        active,
        listMs,
        getP50: percentile(times, 50),
        getP99: percentile(times, 99),
        disconnects,
      });
      perInstanceS = createMs / 1000 / (target - from) + helloMs / 1000 / (target - from);
      lastStepS = (performance.now() - stepStart) / 1000;
      process.stderr.write(`  ${target} guests: step ${lastStepS.toFixed(0)} s, RSS ${rss.toFixed(0)} MiB, ${active} ACTIVE\n`);
      if (helloFailures > 0 || active < instances.length || disconnects > 0) {
        result.skipped.push(`steps after ${target} guests: ${helloFailures} hellos failed, ${instances.length - active} not ACTIVE, ${disconnects} disconnected`);
        break;
      }
    }
    result.peakRss = procStatus(pid, 'VmHWM');
    return result;
  } catch (error) {
    const log = await readFile(logPath, 'utf8').catch(() => '');
    process.stderr.write(`server log tail:\n${log.split('\n').slice(-20).join('\n')}\n`);
    throw error;
  } finally {
    stopping = true;
    for (const guest of guests) {
      guest.stop();
    }
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- run and report

const benchStart = performance.now();
process.stderr.write('part 1: round trip through a local guest\n');
const rt = await roundTrip();
process.stderr.write('part 2: simulated idle guests\n');
const fl = await fleet();
const totalS = (performance.now() - benchStart) / 1000;

console.log(`machine: ${machineLine()}; bench took ${totalS.toFixed(0)} s\n`);
console.log(`Round trip: counter fixture (QuickJS) on a local guest host, server in this process (logger off), SQLite store in ${tmpdir()}; ${REQUESTS} sequential requests after ${WARMUP} warm-up, then ${CLIENTS} keep-alive clients for ${THROUGHPUT_S} s\n`);
console.log('| measure | figure | target | met |');
console.log('|---|---|---|---|');
const p50 = percentile(rt.seq, 50);
const steadyP50 = percentile(rt.steady, 50);
console.log(`| create to ACTIVE (local guest host spawned, transpile cache cold) | ${rt.createToActiveMs.toFixed(0)} ms | | |`);
console.log(`| GET .../databases (API -> guest -> component -> API), first ${REQUESTS} after ${WARMUP} warm-up: p50 / p99 | ${fmt(p50)} / ${fmt(percentile(rt.seq, 99))} ms | p50 < 2 ms | ${p50 < 2 ? 'yes' : 'no'} |`);
console.log(`| GET .../databases, ${CLIENTS} clients: throughput | ${rt.throughput.toFixed(0)} req/s (${rt.errors} errors) | | |`);
console.log(`| GET .../databases, ${CLIENTS} clients: p50 / p99 | ${fmt(percentile(rt.underLoad, 50))} / ${fmt(percentile(rt.underLoad, 99))} ms | | |`);
console.log(`| GET .../databases, ${REQUESTS} more after the throughput phase (warm): p50 / p99 | ${fmt(steadyP50)} / ${fmt(percentile(rt.steady, 99))} ms | p50 < 2 ms | ${steadyP50 < 2 ? 'yes' : 'no'} |`);
console.log(`| breakdown: GET .../instances/<id> (HTTP, auth, one store read; no guest): p50 | ${fmt(percentile(rt.instanceGet, 50))} ms | | |`);
console.log(`| breakdown: hub.call list-databases (WebSocket, host, component; no HTTP, no store): p50 | ${fmt(percentile(rt.hubCall, 50))} ms | | |`);
const { split } = rt;
console.log(
  `| breakdown of the mean GET .../databases (instrumented pass): store / hub.call / the rest (HTTP both ends, Fastify, auth, service) | ${fmt(split.store)} / ${fmt(split.guest)} / ${fmt(split.total - split.store - split.guest)} ms of ${fmt(split.total)} ms | | |`,
);

console.log(`\nSimulated idle guests: \`berth server\` child process (external provisioner, SQLite, logger on), report_interval ${REPORT_S} s; instances created through the API by ${CREATE_CLIENTS} clients; guests dial ${DIAL_IN_FLIGHT} at a time, say hello (real counter manifest), heartbeat on connection and every interval; RSS read after two intervals; GET latency over ${LATENCY_SAMPLES} requests. Server RSS at start, no instances: ${fl.startRss.toFixed(0)} MiB\n`);
console.log('| guests | create rate | hello rate | server RSS | server CPU while idle | ACTIVE | GET /instances (all) | GET /instances/<id> p50 / p99 | target |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const s of fl.steps) {
  const target = s.guests === 5000 ? `< 600 MB: ${s.rss * 1.048576 < 600 ? 'yes' : 'no'}` : '';
  console.log(
    `| ${s.guests} | ${s.createRate.toFixed(0)} /s | ${s.helloRate.toFixed(0)} /s${s.helloFailures ? ` (${s.helloFailures} failed)` : ''} | ${s.rss.toFixed(0)} MiB | ${s.cpuPercent.toFixed(1)}% | ${s.active}/${s.guests} | ${fmt(s.listMs)} ms | ${fmt(s.getP50)} / ${fmt(s.getP99)} ms | ${target} |`,
  );
}
console.log(`\nserver peak RSS (VmHWM): ${fl.peakRss.toFixed(0)} MiB`);
for (const note of fl.skipped) console.log(`not run: ${note}`);
