/**
 * Load: one `berth server` process (SQLite, external provisioner) with N
 * simulated guests that speak the real protocol (hello, heartbeats, and
 * answers to guest.call), while C clients drive API operations concurrently:
 * reads through the guest (GET .../databases), writes through the guest
 * (POST .../databases, recorded as tasks) and reads of the store alone (GET
 * .../instances/<id>). For each step: throughput, p50/p99 latency, errors, and
 * whether every accepted write reached its guest exactly once. The answer
 * sought: the largest N and request rate with p99 under 50 ms and nothing
 * lost. Run with `npm run bench:load`; figures go into BENCHMARKS.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { tokenDigest } from '../server/api/auth.js';
import { buildFixture } from '../test/support/components.js';
import { connectGuest, createInstance, startChildServer, type GuestIdentity, type SimulatedGuest } from './simulated-fleet.js';
import { counterDatastore, machineLine, percentile, sleep } from './support.js';

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
  guests: number;
  clients: number;
  rate: number;
  p50: number;
  p99: number;
  errors: number;
  accepted: number;
  lost: number;
  doubled: number;
}

async function drive(clients: number): Promise<StepResult> {
  const latencies: number[] = [];
  let errors = 0;
  const accepted: string[] = [];
  const until = performance.now() + STEP_S * 1000;
  let counter = 0;
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        const instance = instances[Math.floor(Math.random() * instances.length)]!;
        const kind = counter++ % 3;
        const base = `${server.url}/v1.0/${PROJECT}/instances/${instance.id}`;
        const name = `w${counter}`;
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
  // an accepted write (202) runs on its guest after the answer: give the last ones time to land before counting
  const settleBy = performance.now() + 30_000;
  while (accepted.some((key) => !executed.has(key)) && performance.now() < settleBy) await sleep(100);
  const lost = accepted.filter((key) => !executed.has(key)).length;
  const doubled = accepted.filter((key) => (executed.get(key) ?? 0) > 1).length;
  return { guests: instances.length, clients, rate: latencies.length / STEP_S, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, accepted: accepted.length, lost, doubled };
}

const results: StepResult[] = [];
try {
  for (const target of GUESTS) {
    await addGuests(target);
    await sleep(REPORT_S * 1000);
    for (const clients of CLIENTS) results.push(await drive(clients));
  }
} finally {
  for (const guest of guests) guest.stop();
  server.child.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
}

const held = results.filter((r) => r.p99 < 50 && r.errors === 0 && r.lost === 0 && r.doubled === 0);
const best = held.sort((a, b) => b.guests - a.guests || b.rate - a.rate)[0];
process.stdout.write(
  [
    machineLine(),
    '',
    '| guests | clients | requests/s | p50 | p99 | errors | writes accepted | lost | run twice | p99 < 50 ms, nothing lost |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.guests} | ${r.clients} | ${r.rate.toFixed(0)} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.errors} | ${r.accepted} | ${r.lost} | ${r.doubled} | ${r.p99 < 50 && r.errors === 0 && r.lost === 0 && r.doubled === 0 ? 'yes' : 'no'} |`),
    '',
    best ? `largest that held: ${best.guests} guests at ${best.rate.toFixed(0)} requests/s (${best.clients} clients), p99 ${best.p99.toFixed(1)} ms` : 'no step held p99 < 50 ms with nothing lost',
    '',
  ].join('\n'),
);
