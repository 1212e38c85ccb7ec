/**
 * Load: one `berth server` process (SQLite, external provisioner) with N
 * simulated guests that speak the real protocol (hello, heartbeats, and
 * answers to guest.call), while C clients drive API operations concurrently:
 * reads through the guest (GET .../databases), writes through the guest
 * (POST .../databases, recorded as tasks) and reads of the store alone (GET
 * .../instances/<id>). For each step: throughput, p50/p99 latency, errors, and
 * whether every accepted write reached its guest exactly once. The answer
 * sought: the largest N and request rate with p99 under 50 ms and nothing
 * lost. Each step also records the server's RSS; one long step is a memory
 * check under sustained load, e.g. BENCH_LOAD_REAL=0 BENCH_LOAD_GUESTS=50
 * BENCH_LOAD_CLIENTS=16 BENCH_LOAD_STEP_S=420 (RSS printed every 30 s).
 * Run with `npm run bench:load`; figures go into BENCHMARKS.md.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { parse as parseToml, stringify } from 'smol-toml';
import { spawnHost } from '../test/support/guest-host.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { tokenDigest } from '../server/api/auth.js';
import { buildFixture } from '../test/support/components.js';
import { connectGuest, createInstance, startChildServer, type GuestIdentity, type SimulatedGuest } from './simulated-fleet.js';
import { counterDatastore, machineLine, percentile, procStatus, sleep } from './support.js';

/** Real `berth host` processes driven first, alone (the counter manager in its sandbox, one volume each). */
const REAL_HOSTS = Number(process.env.BENCH_LOAD_REAL ?? 4);
const GUESTS = (process.env.BENCH_LOAD_GUESTS ?? '100,1000,3000').split(',').map(Number);
const CLIENTS = (process.env.BENCH_LOAD_CLIENTS ?? '8,32,96').split(',').map(Number);
const STEP_S = Number(process.env.BENCH_LOAD_STEP_S ?? 10);
const REPORT_S = 5;
const TOKEN = 'load-token-0123456789abcdef';
const PROJECT = 'load';

const built = await buildFixture('counter', 'quickjs');
const dir = await mkdtemp(join(tmpdir(), 'berth-bench-load-'));
const wasm = join(dir, 'counter.wasm');
await writeFile(wasm, built.bytes);
const server = await startChildServer(dir, {
  server: { listen: '127.0.0.1:0', data_dir: dir },
  provisioner: { kind: 'external' },
  projects: [{ name: PROJECT, tokens_sha256: [tokenDigest(TOKEN)] }],
  timeouts: { report_interval: REPORT_S, quick_call: 30 },
  datastores: [counterDatastore(built, wasm, '/var/lib/counter', 3600)],
});

/** Writes each guest ran, by instance id and database name: a lost or doubled write shows here. */
const executed = new Map<string, number>();
const guests: SimulatedGuest[] = [];
const instances: GuestIdentity[] = [];

async function addGuests(target: number): Promise<void> {
  const pending: Array<Promise<void>> = [];
  for (let n = instances.length; n < target; n++) {
    pending.push(
      (async () => {
        const guest = await createInstance(server.url, PROJECT, TOKEN, `load-${n}`, 'counter');
        instances.push(guest);
        guests.push(
          await connectGuest(guest, { manifest: built.manifest, sha256: built.sha256 }, async ({ operation, args }) => {
            if (operation === 'create-databases') {
              for (const { name } of args[0] as Array<{ name: string }>) executed.set(`${guest.id}/${name}`, (executed.get(`${guest.id}/${name}`) ?? 0) + 1);
              return { ok: undefined };
            }
            if (operation === 'list-databases') return { ok: { items: [], nextMarker: undefined } };
            return { ok: 'running' };
          }, REPORT_S * 1000),
        );
      })(),
    );
    if (pending.length >= 100) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
}

interface StepResult {
  /** Real `berth host` processes, not simulated guests. */
  real: boolean;
  guests: number;
  clients: number;
  rate: number;
  p50: number;
  p99: number;
  errors: number;
  accepted: number;
  lost: number;
  doubled: number;
  /** The server's resident memory when the step began and when it ended, MiB. */
  rssStart: number;
  rssEnd: number;
}

/** The server process's resident memory, MiB. */
const serverRss = () => procStatus(server.child.pid!, 'VmRSS');

/** Real hosts: the counter manager writes each database it creates as a line of its volume's effects.log. */
const realHosts: Array<{ identity: GuestIdentity; volume: string; stop(): Promise<unknown> }> = [];

async function startRealHosts(count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    const identity = await createInstance(server.url, PROJECT, TOKEN, `real-${n}`, 'counter');
    const volume = join(dir, `real-${n}`);
    await mkdir(volume);
    const config = parseToml(identity.guestConfig) as { grants: { directories: Array<{ host: string }> }; host?: Record<string, unknown> };
    config.grants.directories[0]!.host = volume;
    config.host = { ...config.host, state_dir: join(volume, '.state'), spool_dir: join(volume, '.spool'), cache_dir: join(dir, 'host-cache') };
    const configPath = join(dir, `real-${n}.toml`);
    await writeFile(configPath, stringify(config));
    const host = spawnHost(configPath);
    realHosts.push({ identity, volume, stop: async () => (host.child.kill('SIGTERM'), await host.exited) });
  }
  for (const { identity } of realHosts) {
    for (;;) {
      const shown = (await (await fetch(`${server.url}/v1.0/${PROJECT}/instances/${identity.id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { instance: { status: string } };
      if (shown.instance.status === 'ACTIVE') break;
      await sleep(100);
    }
  }
}

async function realExecuted(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { identity, volume } of realHosts) {
    const log = await readFile(join(volume, 'effects.log'), 'utf8').catch(() => '');
    for (const name of log.split('\n').filter(Boolean)) counts.set(`${identity.id}/${name}`, (counts.get(`${identity.id}/${name}`) ?? 0) + 1);
  }
  return counts;
}

async function drive(clients: number, pool: GuestIdentity[] = instances, executedNow: () => Promise<Map<string, number>> = async () => executed): Promise<StepResult> {
  const latencies: number[] = [];
  let errors = 0;
  const accepted: string[] = [];
  const until = performance.now() + STEP_S * 1000;
  let counter = 0;
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const rssStart = serverRss();
  // a long step (BENCH_LOAD_STEP_S) doubles as a memory check under sustained load: the server's RSS every 30 s
  const stepStarted = performance.now();
  const sampler = setInterval(() => process.stderr.write(`  ${((performance.now() - stepStarted) / 60_000).toFixed(1)} min: ${latencies.length} requests, server RSS ${serverRss().toFixed(1)} MiB\n`), 30_000);
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        const instance = pool[Math.floor(Math.random() * pool.length)]!;
        const kind = counter++ % 3;
        const base = `${server.url}/v1.0/${PROJECT}/instances/${instance.id}`;
        // unique over the whole run: a name reused in a later step on the same guest would count as run twice
        const name = `w${++writeSeq}`;
        const started = performance.now();
        const response =
          kind === 0
            ? await fetch(`${base}/databases`, { headers })
            : kind === 1
              ? await fetch(`${base}/databases`, { method: 'POST', headers, body: JSON.stringify({ databases: [{ name }] }) })
              : await fetch(base, { headers });
        await response.arrayBuffer();
        latencies.push(performance.now() - started);
        if (response.status >= 400) errors++;
        else if (kind === 1) accepted.push(`${instance.id}/${name}`);
      }
    }),
  );
  clearInterval(sampler);
  const rssEnd = serverRss();
  // an accepted write (202) runs on its guest after the answer: give the last ones time to land before counting
  const settleBy = performance.now() + 30_000;
  let ran = await executedNow();
  while (accepted.some((key) => !ran.has(key)) && performance.now() < settleBy) {
    await sleep(100);
    ran = await executedNow();
  }
  const lost = accepted.filter((key) => !ran.has(key)).length;
  const doubled = accepted.filter((key) => (ran.get(key) ?? 0) > 1).length;
  return { real: pool !== instances, guests: pool.length, clients, rate: latencies.length / STEP_S, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, accepted: accepted.length, lost, doubled, rssStart, rssEnd };
}

let writeSeq = 0;
const results: StepResult[] = [];
try {
  if (REAL_HOSTS > 0) {
    await startRealHosts(REAL_HOSTS);
    for (const clients of CLIENTS) results.push(await drive(clients, realHosts.map((h) => h.identity), realExecuted));
    for (const host of realHosts.splice(0)) await host.stop();
    // their instances stay, ERROR once the heartbeats stop: the simulated steps choose among their own
  }
  for (const target of GUESTS) {
    await addGuests(target);
    await sleep(REPORT_S * 1000);
    for (const clients of CLIENTS) results.push(await drive(clients));
  }
} finally {
  for (const host of realHosts) await host.stop();
  for (const guest of guests) guest.stop();
  server.child.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
}

const held = results.filter((r) => r.p99 < 50 && r.errors === 0 && r.lost === 0 && r.doubled === 0);
const best = held.filter((r) => !r.real).sort((a, b) => b.guests - a.guests || b.rate - a.rate)[0];
process.stdout.write(
  [
    machineLine(),
    '',
    '| guests | clients | requests/s | p50 | p99 | errors | writes accepted | lost | run twice | server RSS, MiB | p99 < 50 ms, nothing lost |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.guests}${r.real ? ' real hosts' : ''} | ${r.clients} | ${r.rate.toFixed(0)} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.errors} | ${r.accepted} | ${r.lost} | ${r.doubled} | ${r.rssStart.toFixed(0)} -> ${r.rssEnd.toFixed(0)} | ${r.p99 < 50 && r.errors === 0 && r.lost === 0 && r.doubled === 0 ? 'yes' : 'no'} |`),
    '',
    best ? `largest that held: ${best.guests} guests at ${best.rate.toFixed(0)} requests/s (${best.clients} clients), p99 ${best.p99.toFixed(1)} ms` : 'no step held p99 < 50 ms with nothing lost',
    '',
  ].join('\n'),
);
