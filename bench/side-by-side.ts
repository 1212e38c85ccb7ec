/**
 * Berth beside the nearest alternatives, measured in one run so the ratios
 * hold on a noisy, shared machine (issue 6):
 * 1. a trivial manager call through Berth's sandbox (worker hop included) vs
 *    the same trivial call through Extism's Node SDK in worker mode vs a bare
 *    JavaScript function call; target: Berth's per call at least 5x lower
 *    than Extism's worker mode;
 * 2. the API -> guest -> component -> API round trip vs a bare WebSocket
 *    echo on loopback (the floor), the echo server both in this process and
 *    in a child process (the guest host is one); target: within 10x of the echo;
 * 3. the guest host's footprint per engine backend: start to ready, idle RSS,
 *    component size.
 * Contenders alternate in rounds (order rotated each round) rather than run
 * one after the other, so a burst of load from another job hits all of them.
 * Run with `npm run bench:side-by-side`; figures go into BENCHMARKS.md.
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import { BACKENDS, type Backend } from '../datastores/toolchain/backends.js';
import type { BuildResult } from '../datastores/toolchain/build.js';
import { buildFixture } from '../test/support/components.js';
import { loadStatusPlugin } from './extism/status-plugin.js';
import { apiGet, counterStatusHere, loadLine, machineLine, median, startCounterApi, startCounterSandbox, summarize, timeHostStart, type Summary } from './support.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 10_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
/** Unmeasured calls of each contender first: both ends' JIT (and V8's wasm tier-up) warm, as the echo is from its first message. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1_000);
const STARTS = Number(process.env.BENCH_STARTS ?? 5);
/** Which parts to run, e.g. "1,2" while working on the call path (default all three). */
const PARTS = new Set((process.env.BENCH_PARTS ?? '1,2,3').split(',').map((part) => part.trim()));
const IDLE_MS = 2000;

/** `after`: untimed work between two timed calls. */
type Contender = { name: string; call: () => unknown; after?: () => unknown };

/**
 * Per-call latencies (us) of each contender: `warmup` unmeasured calls each,
 * then `total` calls each in ROUNDS rounds, every round running each
 * contender's share back to back, the order rotated from round to round.
 */
async function interleaved(contenders: Contender[], total: number, warmup: number): Promise<Map<string, number[]>> {
  const samples = new Map(contenders.map((c) => [c.name, [] as number[]]));
  for (const c of contenders) {
    for (let i = 0; i < warmup; i++) {
      await c.call();
      await c.after?.();
    }
  }
  const perRound = Math.ceil(total / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(round + k) % contenders.length]!;
      const times = samples.get(c.name)!;
      for (let i = 0; i < perRound; i++) {
        const t = process.hrtime.bigint();
        await c.call();
        times.push(Number(process.hrtime.bigint() - t) / 1000);
        await c.after?.();
      }
    }
  }
  return samples;
}

// ---------------------------------------------------------------- 1. one trivial call

/** Whatever the bare call returns goes here, so V8 cannot drop the call. */
let sink = '';
function bareStatus(): string {
  return 'running';
}

async function trivialCalls(builds: Record<Backend, BuildResult>) {
  const sandboxes = await Promise.all(BACKENDS.map((backend) => startCounterSandbox(builds[backend])));
  const extism = await loadStatusPlugin(true);
  // not a contender: Extism on the calling thread, to show how much of its figure is the worker hop
  const extismHere = await loadStatusPlugin(false);
  // not contenders either: each Berth component on the calling thread, to show how much of Berth's figure is the sandbox
  const berthHere = await Promise.all(BACKENDS.map((backend) => counterStatusHere(builds[backend])));
  try {
    // each contender must really answer "running" before it is timed
    for (const sandbox of sandboxes) {
      const outcome = await sandbox.call('status', []);
      if (!('ok' in outcome) || outcome.ok !== 'running') throw new Error(`Berth status answered ${JSON.stringify(outcome)}`);
    }
    for (const status of berthHere) if (status() !== 'running') throw new Error('Berth status on the calling thread did not answer "running"');
    const text = (await extism.call('status'))?.text();
    if (text !== 'running') throw new Error(`Extism status answered ${JSON.stringify(text)}`);

    const contenders: Contender[] = [
      ...BACKENDS.map((backend, i) => ({ name: `berth-${backend}`, call: () => sandboxes[i]!.call('status', []) })),
      ...BACKENDS.map((backend, i) => ({ name: `berth-here-${backend}`, call: () => berthHere[i]!() })),
      // Extism's JS SDK keeps every block a call allocates until reset(): in worker mode each call ships the whole
      // block table across, so without a reset its cost grows with the calls made (and the 32,768th block's address
      // overflows). An untimed reset after each call times the call itself at a flat memory, Extism's best case.
      { name: 'extism', call: () => extism.call('status'), after: () => extism.reset() },
      // what a host pays to keep Extism's memory flat: the reset is a second trip to the worker
      {
        name: 'extism-reset',
        call: async () => {
          await extism.call('status');
          await extism.reset();
        },
      },
      { name: 'extism-here', call: () => extismHere.call('status'), after: () => extismHere.reset() },
      { name: 'bare', call: () => (sink = bareStatus()) },
    ];
    const samples = await interleaved(contenders, CALLS, WARMUP);
    // per-call timing of a call shorter than the timer itself measures the timer: time the bare call's mean in a tight loop too
    const loops = 1_000_000;
    const t = process.hrtime.bigint();
    for (let i = 0; i < loops; i++) sink = bareStatus();
    const bareLoopMean = Number(process.hrtime.bigint() - t) / 1000 / loops;
    if (sink !== 'running') throw new Error('unreachable');
    return { summaries: new Map([...samples].map(([name, times]) => [name, summarize(times)])), bareLoopMean };
  } finally {
    await extism.close();
    await extismHere.close();
    await Promise.all(sandboxes.map((sandbox) => sandbox.close()));
  }
}

// ---------------------------------------------------------------- 2. round trip vs echo

/** A guest.call request frame as the hub sends one, for the echo to carry. */
const ECHO_FRAME = JSON.stringify({
  jsonrpc: '2.0',
  id: '6f1c1f7e-9a51-4d2a-8f43-0d6f8d2b1c55',
  method: 'guest.call',
  params: { operation: 'list-databases', args: [{ includeMarker: false }], deadlineMs: 30000 },
});

interface Echo {
  roundTrip(): Promise<unknown>;
  close(): Promise<void>;
}

/** A ws client that sends ECHO_FRAME and waits for it to come back, one at a time. */
async function echoClient(port: number): Promise<WebSocket> {
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise<void>((resolve, reject) => {
    client.once('open', resolve);
    client.once('error', reject);
  });
  return client;
}

function echoOver(client: WebSocket, stop: () => Promise<void>): Echo {
  let pending: ((data: unknown) => void) | undefined;
  client.on('message', (data) => pending?.(data));
  return {
    roundTrip: () =>
      new Promise((resolve) => {
        pending = resolve;
        client.send(ECHO_FRAME);
      }),
    async close() {
      client.close();
      await stop();
    },
  };
}

/** The echo server in this process, as the API's server and its fetch client share one. */
async function startEchoHere(): Promise<Echo> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const client = await echoClient((server.address() as AddressInfo).port);
  return echoOver(client, () => new Promise<void>((resolve) => server.close(() => resolve())));
}

/** The echo server in a child process (bench/echo-server.ts), as the guest host is. */
async function startEchoChild(): Promise<Echo> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./echo-server.js', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // a bench stopped half way must not leave the echo server behind
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', (code) => reject(new Error(`echo server exited (${code})`)));
  });
  const client = await echoClient(port);
  return echoOver(client, async () => {
    process.off('exit', orphan);
    child.kill('SIGTERM');
    await exited;
  });
}

async function roundTrips(built: BuildResult) {
  const api = await startCounterApi(built, 5);
  const echoHere = await startEchoHere();
  const echoChild = await startEchoChild();
  try {
    const databases = `${api.base}/${api.id}/databases`;
    const paging = { limit: undefined, marker: undefined, includeMarker: false };
    const samples = await interleaved(
      [
        { name: 'api', call: () => apiGet(databases) },
        // not a contender: the guest hop alone (WebSocket, host, worker, component; no HTTP, no store)
        { name: 'hub', call: () => api.server.hub.call(api.id, 'list-databases', [paging], 5000) },
        { name: 'echo-here', call: () => echoHere.roundTrip() },
        { name: 'echo-child', call: () => echoChild.roundTrip() },
      ],
      REQUESTS,
      WARMUP,
    );
    const inMs = (name: string) => summarize(samples.get(name)!.map((micros) => micros / 1000));
    return { api: inMs('api'), hub: inMs('hub'), echoHere: inMs('echo-here'), echoChild: inMs('echo-child'), createToActiveMs: api.createToActiveMs };
  } finally {
    await echoHere.close();
    await echoChild.close();
    await api.close();
  }
}

// ---------------------------------------------------------------- 3. footprint per backend

interface Footprint {
  backend: Backend;
  sizeMiB: number;
  readyMs: number[];
  idleRss: number[];
}

async function footprints(builds: Record<Backend, BuildResult>): Promise<Footprint[]> {
  const rows = BACKENDS.map((backend) => ({ backend, sizeMiB: builds[backend].bytes.length / 2 ** 20, readyMs: [] as number[], idleRss: [] as number[] }));
  // one unmeasured start each fills the host's transpile cache, as on any start after a machine's first
  for (const backend of BACKENDS) await timeHostStart(builds[backend]);
  for (let run = 0; run < STARTS; run++) {
    for (const row of run % 2 ? [...rows].reverse() : rows) {
      const start = await timeHostStart(builds[row.backend], IDLE_MS);
      row.readyMs.push(start.readyMs);
      row.idleRss.push(start.idleRss!);
    }
  }
  return rows;
}

// ---------------------------------------------------------------- run and report

// Ctrl-C goes through process.exit, so the 'exit' clean-ups above still run
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
const loads = [loadLine()];
const builds = {} as Record<Backend, BuildResult>;
for (const backend of BACKENDS) builds[backend] = await buildFixture('counter', backend);
const calls = PARTS.has('1') ? (process.stderr.write('1: trivial calls\n'), await trivialCalls(builds)) : undefined;
loads.push(loadLine());
const trips = PARTS.has('2') ? (process.stderr.write('2: round trip and echo\n'), await roundTrips(builds.quickjs)) : undefined;
loads.push(loadLine());
const feet = PARTS.has('3') ? (process.stderr.write('3: host footprint per backend\n'), await footprints(builds)) : undefined;
loads.push(loadLine());

const us = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(0));
const ms = (v: number) => (v < 1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v.toFixed(0));
const row = (s: Summary, f: (v: number) => string) => `${f(s.p50)} / ${f(s.p99)} / ${f(s.mean)}`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}x`;

console.log(`machine: ${machineLine()}`);
console.log(`${loads.join(' -> ')} (at start, then after each part)\n`);

if (calls) {
  const berth = calls.summaries.get('berth-quickjs')!;
  const extism = calls.summaries.get('extism')!;
  const bare = calls.summaries.get('bare')!;
  console.log(`1. One trivial call, ${CALLS} per contender after ${WARMUP} warm-up, in ${ROUNDS} interleaved rounds; us\n`);
  console.log('| contender | p50 / p99 / mean |');
  console.log('|---|---|');
  for (const backend of BACKENDS) {
    console.log(`| Berth, Sandbox.call('status'), counter fixture (${backend}), worker hop | ${row(calls.summaries.get(`berth-${backend}`)!, us)} |`);
  }
  console.log(`| Extism Node SDK, runInWorker, plugin.call('status') (bench/extism/status.wat), untimed reset() after each | ${row(extism, us)} |`);
  console.log(`| (for reference) the same with its reset() timed: call + reset, memory kept flat | ${row(calls.summaries.get('extism-reset')!, us)} |`);
  console.log(`| (for reference) Extism Node SDK on the calling thread, no worker, untimed reset() after each | ${row(calls.summaries.get('extism-here')!, us)} |`);
  for (const backend of BACKENDS) {
    console.log(`| (for reference) Berth's ${backend} component on the calling thread, no worker, no sandbox | ${row(calls.summaries.get(`berth-here-${backend}`)!, us)} |`);
  }
  console.log(`| bare JavaScript function call (timed per call: the timer's own cost) | ${row(bare, us)} |`);
  console.log(`| bare JavaScript function call, mean of a 1,000,000-call loop | ${calls.bareLoopMean.toFixed(4)} |`);
  const met1 = extism.p50 / berth.p50 >= 5 && extism.mean / berth.mean >= 5;
  console.log(
    `\nExtism worker / Berth (quickjs): p50 ${ratio(extism.p50, berth.p50)}, p99 ${ratio(extism.p99, berth.p99)}, mean ${ratio(extism.mean, berth.mean)}; target >= 5x (p50 and mean): ${met1 ? 'met' : 'not met'}`,
  );
  const withReset = calls.summaries.get('extism-reset')!;
  console.log(`Extism worker call + reset / Berth (quickjs): p50 ${ratio(withReset.p50, berth.p50)}, p99 ${ratio(withReset.p99, berth.p99)}, mean ${ratio(withReset.mean, berth.mean)}`);
  // the overhead: what the host adds to the same call made on the calling thread (the worker hop, the copies, the dispatch)
  const overhead = (host: Summary, here: Summary) => ({ p50: host.p50 - here.p50, mean: host.mean - here.mean });
  const berthOverhead = overhead(berth, calls.summaries.get('berth-here-quickjs')!);
  const extismOverhead = overhead(extism, calls.summaries.get('extism-here')!);
  const met1Overhead = extismOverhead.p50 / berthOverhead.p50 >= 5 && extismOverhead.mean / berthOverhead.mean >= 5;
  console.log(
    `per-call overhead (host call less the same call on the calling thread): Berth (quickjs) p50 ${us(berthOverhead.p50)}, mean ${us(berthOverhead.mean)}; Extism worker p50 ${us(extismOverhead.p50)}, mean ${us(extismOverhead.mean)}; Extism / Berth p50 ${ratio(extismOverhead.p50, berthOverhead.p50)}, mean ${ratio(extismOverhead.mean, berthOverhead.mean)}; target >= 5x (p50 and mean): ${met1Overhead ? 'met' : 'not met'}\n`,
  );
}

if (trips) {
  console.log(`2. Round trip, ${REQUESTS} each after ${WARMUP} warm-up, in ${ROUNDS} interleaved rounds; ms (create to ACTIVE ${trips.createToActiveMs.toFixed(0)} ms)\n`);
  console.log('| measure | p50 / p99 / mean |');
  console.log('|---|---|');
  console.log(`| GET .../databases: API -> guest -> component -> API (counter, QuickJS) | ${row(trips.api, ms)} |`);
  console.log(`| (for reference) hub.call list-databases alone: WebSocket -> guest host -> worker -> component -> back, no HTTP, no store | ${row(trips.hub, ms)} |`);
  console.log(`| ws echo on loopback, ${ECHO_FRAME.length}-byte guest.call frame, echo server in this process | ${row(trips.echoHere, ms)} |`);
  console.log(`| ws echo on loopback, same frame, echo server in a child process | ${row(trips.echoChild, ms)} |`);
  const met2 = (echo: Summary) => (trips.api.p50 / echo.p50 <= 10 ? 'met' : 'not met');
  for (const [what, echo] of [['in-process echo', trips.echoHere], ['child-process echo', trips.echoChild]] as const) {
    console.log(`\nround trip / ${what}: p50 ${ratio(trips.api.p50, echo.p50)}, p99 ${ratio(trips.api.p99, echo.p99)}, mean ${ratio(trips.api.mean, echo.mean)}; target <= 10x (p50): ${met2(echo)}`);
  }
  console.log('');
}

const span = (values: number[], f: (v: number) => string) => `${f(median(values))} (${f(Math.min(...values))}-${f(Math.max(...values))})`;
if (feet) {
  console.log(`3. Guest host per backend (counter fixture), ${STARTS} starts each after one unmeasured, alternating; median (min-max)\n`);
  console.log('| backend | component | start to ready | RSS idle (2 s after ready) |');
  console.log('|---|---|---|---|');
  for (const f of feet) {
    console.log(`| ${f.backend} | ${f.sizeMiB.toFixed(1)} MiB | ${span(f.readyMs, (v) => v.toFixed(0))} ms | ${span(f.idleRss, (v) => v.toFixed(0))} MiB |`);
  }
}
