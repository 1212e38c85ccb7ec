/**
 * Helpers shared by more than one benchmark: statistics over latency samples,
 * a process's memory from /proc, the machine line every report starts with, a
 * control plane with one ACTIVE counter instance, a real `berth host` process
 * timed from spawn to ready, the counter in an in-process Sandbox (as
 * bench/host.ts sets one up) and on the calling thread. Importing this module runs nothing.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BuildResult } from '../datastores/toolchain/build.js';
import { compileComponent, transpileComponent } from '../host/component/compile.js';
import { instantiateManager } from '../host/component/instantiate.js';
import { createSandboxImports } from '../host/component/sandbox-imports.js';
import { createEngineImports } from '../host/capabilities/engine.js';
import { camelName, interfaceOf } from '../datastores/sdk/operations.js';
import { Sandbox } from '../host/sandbox/sandbox.js';
import { bareSandboxSpec } from '../test/support/sandbox-spec.js';
import { tokenDigest } from '../server/api/auth.js';
import { serverConfigSchema } from '../server/config/server-config.js';
import { startServer, type RunningServer } from '../server/server.js';
import { guestFixture, spawnHost, startHub } from '../test/support/guest-host.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile; `p` in 0..100. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

export interface Summary {
  p50: number;
  p99: number;
  mean: number;
}

export function summarize(values: number[]): Summary {
  return { p50: percentile(values, 50), p99: percentile(values, 99), mean: values.reduce((a, b) => a + b, 0) / values.length };
}

/** A field of /proc/<pid>/status, in MiB. */
export function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) / 1024;
}

/** CPU time a process has used so far (user + system), seconds, from /proc/<pid>/stat. */
export function procCpuSeconds(pid: number): number {
  // the command name (field 2) may hold spaces: count fields after its closing parenthesis
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop()!.trim().split(' ');
  const ticksPerSecond = 100;
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** "2 x AMD EPYC ..., 24 GiB, node v20...": the first line of every report, so figures carry their machine. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  return `${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`;
}

/** The 1-, 5- and 15-minute load averages, to say how shared the machine was during a run. */
export function loadLine(): string {
  const [one, five, fifteen] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  return `load average ${one}, ${five}, ${fifteen}`;
}

/** Latencies (ms) of `count` sequential calls after `warmup` unmeasured ones. */
export async function sequential(count: number, warmup: number, call: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await call();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  return times;
}

export const BENCH_TOKEN = 'bench-token-0123456789';
export const BENCH_PROJECT = 'bench';
const headers = { authorization: `Bearer ${BENCH_TOKEN}` };

/** GET with the bench token; the parsed body, or an error naming the status. */
export async function apiGet(url: string): Promise<unknown> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** The `counter` datastore of a server config, its one version pinned to `wasm`. */
export function counterDatastore(built: BuildResult, wasm: string, mountPoint: string, usageTimeout: number) {
  return {
    name: 'counter',
    server: { usage_timeout: usageTimeout },
    guest: { mount_point: mountPoint },
    versions: [{ name: '1', manager: { path: wasm, sha256: built.sha256 } }],
  };
}

export interface CounterApi {
  server: RunningServer;
  /** The server's data directory (removed by close). */
  dir: string;
  /** .../v1.0/<project>/instances */
  base: string;
  id: string;
  createToActiveMs: number;
  close(): Promise<void>;
}

/**
 * `startServer` in this process (local provisioner, SQLite in a temp dir,
 * logger off) and one counter instance on a real `berth host` process, ACTIVE.
 */
export async function startCounterApi(built: BuildResult, reportIntervalS: number): Promise<CounterApi> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-server-'));
  const wasm = join(dir, 'counter.wasm');
  await writeFile(wasm, built.bytes);
  let server: RunningServer | undefined;
  try {
    server = await startServer(
      serverConfigSchema.parse({
        server: { listen: '127.0.0.1:0', data_dir: dir },
        projects: [{ name: BENCH_PROJECT, tokens_sha256: [tokenDigest(BENCH_TOKEN)] }],
        timeouts: { report_interval: reportIntervalS },
        datastores: [counterDatastore(built, wasm, '/var/lib/counter', 120)],
      }),
      { stopGuestsOnClose: true },
    );
    const base = `${server.url}/v1.0/${BENCH_PROJECT}/instances`;
    const started = performance.now();
    const response = await fetch(base, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ instance: { name: 'rt', datastore: { type: 'counter' } } }),
    });
    const id = ((await response.json()) as { instance: { id: string } }).instance.id;
    for (let status = ''; status !== 'ACTIVE'; await sleep(20)) {
      status = ((await apiGet(`${base}/${id}`)) as { instance: { status: string } }).instance.status;
      if (status === 'ERROR') throw new Error(`instance ${id} turned ERROR`);
      if (performance.now() - started > 60_000) throw new Error(`instance ${id} not ACTIVE within 60 s`);
    }
    const createToActiveMs = performance.now() - started;
    const running = server;
    return {
      server: running,
      dir,
      base,
      id,
      createToActiveMs,
      async close() {
        await running.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

export interface HostStart {
  /** Process spawn until the hub has the host's accepted handshake, ms. */
  readyMs: number;
  /** VmRSS `idleAfterMs` after ready, MiB; undefined when not asked for. */
  idleRss?: number;
}

/**
 * One real `berth host` process (compiled dist/) serving `built` (any backend)
 * to a GuestHub in this process on loopback, timed from spawn to ready, then
 * stopped. The host's transpile cache is the default one, so whether the
 * start also transpiles depends on what ran before.
 */
export async function timeHostStart(built: BuildResult, idleAfterMs?: number): Promise<HostStart> {
  let connectedAt = 0;
  const hub = await startHub({ onConnect: () => (connectedAt = performance.now()) });
  // guestFixture writes the QuickJS counter; the config pins `built` instead, written over it below
  const fixture = await guestFixture('counter', hub.url, (config) => {
    (config.manager as { sha256: string }).sha256 = built.sha256;
  });
  try {
    await writeFile(fixture.wasm, built.bytes);
    const startedAt = performance.now();
    const host = spawnHost(fixture.configPath);
    try {
      const deadline = startedAt + 30_000;
      while (!connectedAt) {
        if (performance.now() > deadline || host.child.exitCode !== null) throw new Error(`host not ready within 30 s: ${host.stderr().slice(-2000)}`);
        await sleep(1);
      }
      const result: HostStart = { readyMs: connectedAt - startedAt };
      if (idleAfterMs !== undefined) {
        await sleep(idleAfterMs);
        result.idleRss = procStatus(host.child.pid!, 'VmRSS');
      }
      return result;
    } finally {
      host.child.kill('SIGTERM');
      await host.exited;
    }
  } finally {
    await hub.close();
    await fixture.cleanup();
  }
}

/**
 * `built` (a counter build, any backend) in a Sandbox in this process, as the
 * guest host runs it: its quick lane's worker thread, nothing granted but the
 * options; calls cross main thread -> worker -> component and back.
 */
export async function startCounterSandbox(built: BuildResult): Promise<Sandbox> {
  return Sandbox.start({
    component: await transpileComponent(built.bytes),
    spec: bareSandboxSpec({ mount_point: '/v' }),
    quickTimeoutMs: 5000,
    slowTimeoutMs: 5000,
  });
}

/**
 * The counter's status export instantiated on this thread, no worker and no
 * sandbox: what the component call alone costs, which the sandbox's figure
 * less this one leaves as the sandbox's own overhead.
 */
export async function counterStatusHere(built: BuildResult): Promise<() => unknown> {
  const compiled = await compileComponent(built.bytes);
  const { exports } = await instantiateManager(compiled, createSandboxImports({ options: { mount_point: '/v' } }), createEngineImports());
  const status = (exports as Record<string, Record<string, () => unknown>>)[camelName(interfaceOf('status'))]?.[camelName('status')];
  if (!status) throw new Error('the counter exports no status');
  return status;
}
