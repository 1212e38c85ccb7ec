/**
 * The guest host: start to connected-and-ready, resident memory idle and after
 * 10,000 calls, and the cost of one trivial call inside the host (sandbox
 * worker hop included). Run with `npm run bench:host`; figures go into
 * BENCHMARKS.md. Targets (issue 3): ready < 300 ms, idle RSS < 120 MB,
 * per call < 150 us. The first start finds an empty transpile cache, as a
 * guest's very first start does: it is reported on its own (ready, and RSS
 * 2 s after, when jco has run in its own process and gone), and every later
 * start finds the transpile cache and the glue's code cache filled.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guestFixture, spawnHost, startHub } from '../test/support/guest-host.js';
import { buildFixture } from '../test/support/components.js';
import { percentile, procStatus, startCounterSandbox } from './support.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 10_000);
const STARTS = Number(process.env.BENCH_STARTS ?? 5);

async function inProcessCalls(): Promise<{ p50: number; p99: number; mean: number }> {
  const sandbox = await startCounterSandbox(await buildFixture('counter', 'quickjs'));
  for (let i = 0; i < 1000; i++) await sandbox.call('status', []);
  const times: number[] = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) {
    const t = process.hrtime.bigint();
    await sandbox.call('status', []);
    times.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  const mean = Number(process.hrtime.bigint() - started) / 1000 / CALLS;
  await sandbox.close();
  return { p50: percentile(times, 50), p99: percentile(times, 99), mean };
}

async function hostProcess(): Promise<{ readyMs: number[]; idleRss: number; afterRss: number; roundTripP50: number; cold: { readyMs: number; idleRss: number } }> {
  const readyMs: number[] = [];
  const cold = { readyMs: 0, idleRss: 0 };
  const cacheDir = await mkdtemp(join(tmpdir(), 'berth-bench-cache-'));
  let idleRss = 0;
  let afterRss = 0;
  const roundTrips: number[] = [];
  for (let run = -1; run < STARTS; run++) {
    let connectedAt = 0;
    const server = await startHub({ onConnect: () => (connectedAt = performance.now()) });
    const fixture = await guestFixture('counter', server.url, (config) => {
      (config.host as Record<string, unknown>).cache_dir = cacheDir;
    });
    const startedAt = performance.now();
    const host = spawnHost(fixture.configPath);
    while (!connectedAt) await new Promise((resolve) => setTimeout(resolve, 1));
    if (run >= 0) readyMs.push(connectedAt - startedAt);
    if (run === -1) {
      cold.readyMs = connectedAt - startedAt;
      await new Promise((resolve) => setTimeout(resolve, 2000));
      cold.idleRss = procStatus(host.child.pid!, 'VmRSS');
    }
    if (run === 0) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      idleRss = procStatus(host.child.pid!, 'VmRSS');
      for (let i = 0; i < CALLS; i++) {
        const t = performance.now();
        await server.hub.call('inst-1', 'status', [], 5000);
        roundTrips.push((performance.now() - t) * 1000);
      }
      afterRss = procStatus(host.child.pid!, 'VmRSS');
    }
    host.child.kill('SIGTERM');
    await host.exited;
    await server.close();
    await fixture.cleanup();
  }
  await rm(cacheDir, { recursive: true, force: true });
  return { readyMs, idleRss, afterRss, roundTripP50: percentile(roundTrips, 50), cold };
}

const calls = await inProcessCalls();
const proc = await hostProcess();
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(', ');
console.log(`node ${process.version}; ${CALLS} calls; ${STARTS} host starts after a first one with an empty transpile cache (counter fixture, QuickJS, ${join('test', 'fixtures', 'managers', 'counter.ts')}); load average at the end ${load}\n`);
console.log('| measure | figure | target |');
console.log('|---|---|---|');
console.log(`| host start to connected-and-ready (process spawn to hub handshake), median of ${STARTS} | ${percentile(proc.readyMs, 50).toFixed(0)} ms (min ${Math.min(...proc.readyMs).toFixed(0)}) | < 300 ms |`);
console.log(`| host RSS idle (2 s after ready) | ${proc.idleRss.toFixed(0)} MiB | < 120 MB |`);
console.log(`| first start, empty transpile cache (jco run in a process of its own): ready / RSS idle 2 s after | ${proc.cold.readyMs.toFixed(0)} ms / ${proc.cold.idleRss.toFixed(0)} MiB | |`);
console.log(`| host RSS after ${CALLS} calls | ${proc.afterRss.toFixed(0)} MiB | |`);
console.log(`| trivial call inside the host, worker hop included: p50 / p99 / mean | ${calls.p50.toFixed(0)} / ${calls.p99.toFixed(0)} / ${calls.mean.toFixed(0)} us | < 150 us |`);
console.log(`| hub -> host -> component -> hub over loopback WebSocket, p50 | ${proc.roundTripP50.toFixed(0)} us | |`);
