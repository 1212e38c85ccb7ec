// Finding 8 of issue 13: a manager allocated up to wasm32's 4 GiB per lane, the instance
// was never recycled (the host stayed at 4.2 GB) and heartbeats answered `unknown` meanwhile.
// With host.memory_limit, a real `berth host` runs the hostile manager (managers/memory-hog.ts)
// on both lanes: allocations past the ceiling fail, the call answers BERTH_ERR_MEMORY_LIMIT,
// the next call runs on a fresh instance, and the host's resident memory stays bounded.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManager } from '../../datastores/toolchain/build.js';
import { transpileComponent } from '../../host/component/compile.js';
import { Sandbox } from '../../host/sandbox/sandbox.js';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import type { CastParams } from '../../host/rpc/protocol.js';
import type { BerthError } from '../../datastores/errors/berth-error.js';
import { runHost, startHub, TOKEN, until } from '../support/guest-host.js';
import { bareSandboxSpec } from '../support/sandbox-spec.js';
import { describeComponent } from '../../host/component/describe.js';

const MIB = 1024 * 1024;
/** The ceiling these tests configure, per lane. */
const LIMIT_MIB = 64;
/** What the hostile calls try to allocate: sixteen times the ceiling. */
const HOG_MIB = 1024;

const cleanups: Array<() => Promise<unknown>> = [];
const heartbeats: Array<CastParams<'guest.heartbeat'>> = [];
let hub: Awaited<ReturnType<typeof startHub>>;
let host: ReturnType<typeof runHost>;

/** The host process's resident set now and at its peak, MiB (/proc/<pid>/status). */
function residentMib(): { now: number; peak: number } {
  const status = readFileSync(`/proc/${host.child.pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]);
  return { now: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

let baseline: number;

beforeAll(async () => {
  hub = await startHub({ onHeartbeat: (_id, heartbeat) => heartbeats.push(heartbeat) });
  cleanups.push(() => hub.close());
  const dir = await mkdtemp(join(tmpdir(), 'berth-sec-memory-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const built = await buildManager({ describe: describeComponent, entry: join(PACKAGE_ROOT, 'test', 'security', 'managers', 'memory-hog.ts'), backend: 'quickjs' });
  const wasm = join(dir, 'memory-hog.wasm');
  await writeFile(wasm, built.bytes);
  await mkdir(join(dir, 'state'));
  const config = {
    guest: { instance_id: 'inst-1', server_url: hub.url, token: TOKEN },
    manager: { path: wasm, sha256: built.sha256 },
    // generous deadlines: the machine is shared, and nothing here is timed
    host: {
      // the status probe gets half of it to answer: room for a busy machine
      report_interval: 1,
      call_timeout: 60,
      slow_call_timeout: 120,
      memory_limit: LIMIT_MIB * MIB,
      state_dir: join(dir, 'state'),
      spool_dir: join(dir, 'spool'),
      cache_dir: join(dir, 'cache'),
    },
  };
  await writeFile(join(dir, 'guest.toml'), stringify(config));
  host = runHost(join(dir, 'guest.toml'), cleanups);
  await until(() => hub.hub.isConnected('inst-1'), 'the host to connect', 60_000);
  // both lanes warm: the slow lane's instance starts with the first slow call
  expect(await slow('nothing')).toEqual({ ok: undefined });
  baseline = residentMib().now;
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const paging = (marker: string) => ({ limit: undefined, marker, includeMarker: false });

/** An instruction on the quick lane: the manager's answer, or the error's code. */
async function quick(instruction: string): Promise<string> {
  try {
    const outcome = (await hub.hub.call('inst-1', 'list-databases', [paging(instruction)], 90_000)) as { ok: { items: Array<{ name: string }> } };
    return outcome.ok.items[0]!.name;
  } catch (error) {
    return (error as BerthError).code;
  }
}

/** An instruction on the slow lane (wait-for-txn). */
async function slow(instruction: string): Promise<unknown> {
  try {
    return await hub.hub.call('inst-1', 'wait-for-txn', [instruction, 1], 150_000);
  } catch (error) {
    return (error as BerthError).code;
  }
}

/** Waits for two more heartbeats, and answers their statuses. */
async function nextHeartbeats(): Promise<string[]> {
  const from = heartbeats.length;
  await until(() => heartbeats.length >= from + 2, 'two more heartbeats', 60_000);
  return heartbeats.slice(from).map((heartbeat) => heartbeat.status);
}

describe('finding 8: memory per lane is bounded by host.memory_limit', () => {
  it('quick lane: typed arrays past the ceiling answer BERTH_ERR_MEMORY_LIMIT, and the next call runs on a fresh instance', async () => {
    expect(await quick(`bytes-${HOG_MIB}`)).toBe('BERTH_ERR_MEMORY_LIMIT');
    expect(await quick('bytes-4')).toBe('held 4 MiB');
    expect(await nextHeartbeats()).toContain('running');
  });

  it('quick lane: strings past the ceiling likewise', async () => {
    expect(await quick(`strings-${HOG_MIB}`)).toBe('BERTH_ERR_MEMORY_LIMIT');
    expect(await quick('strings-4')).toBe('held 4 MiB of strings');
  });

  it('slow lane: past the ceiling answers BERTH_ERR_MEMORY_LIMIT, the next slow call works, and the quick lane keeps answering the heartbeats', async () => {
    const from = heartbeats.length;
    const hog = slow(`bytes-${HOG_MIB}`);
    // the quick lane is untouched: heartbeats say running while the slow instance fills and is replaced
    await until(() => heartbeats.length >= from + 2, 'heartbeats during the slow call', 60_000);
    expect(await hog).toBe('BERTH_ERR_MEMORY_LIMIT');
    expect(heartbeats.slice(from).map((heartbeat) => heartbeat.status)).not.toContain('unknown');
    expect(await slow('bytes-4')).toEqual({ ok: undefined });
    expect(await quick('bytes-4')).toBe('held 4 MiB');
  });

  it('an instance that leaks across calls is replaced after the call that took it near the ceiling: every call answers', async () => {
    const answers: string[] = [];
    for (let call = 0; call < 3 * LIMIT_MIB; call++) {
      const answer = await quick('keep-1');
      answers.push(answer);
      if (answer === 'kept 1 MiB' && call > 0) break;
    }
    // the last answer is a fresh instance's first; none of them failed, and none held more than the ceiling
    expect(answers.at(-1)).toBe('kept 1 MiB');
    expect(answers.filter((answer) => !answer.startsWith('kept '))).toEqual([]);
    expect(Math.max(...answers.map((answer) => Number(/^kept (\d+) MiB$/.exec(answer)![1])))).toBeLessThan(LIMIT_MIB);
  });

  it('the host stayed within two ceilings of its resident memory at rest, and gave the memory back', async () => {
    await nextHeartbeats();
    const { now, peak } = residentMib();
    // two lanes at their ceiling, a replacement instance booting beside each, and slack for the
    // host's own heap; the unbounded manager reached HOG_MIB on a single call
    expect(peak - baseline).toBeLessThan(2 * LIMIT_MIB + 192);
    expect(now - baseline).toBeLessThan(LIMIT_MIB);
  });
});

describe('finding 8, the other engine: a StarlingMonkey build of the same manager in the sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    const built = await buildManager({ describe: describeComponent, entry: join(PACKAGE_ROOT, 'test', 'security', 'managers', 'memory-hog.ts'), backend: 'starlingmonkey' });
    const component = await transpileComponent(built.bytes, undefined, undefined, undefined, LIMIT_MIB * MIB);
    sandbox = await Sandbox.start({ component, spec: bareSandboxSpec(), quickTimeoutMs: 90_000, slowTimeoutMs: 150_000 });
  });
  afterAll(() => sandbox?.close());

  const code = (call: Promise<unknown>) => call.then((outcome) => outcome, (error: BerthError) => error.code);

  it('answers BERTH_ERR_MEMORY_LIMIT on either lane, and the next call on a fresh instance', async () => {
    expect(await code(sandbox.call('list-databases', [paging(`bytes-${HOG_MIB}`)]))).toBe('BERTH_ERR_MEMORY_LIMIT');
    expect(await code(sandbox.call('list-databases', [paging('bytes-4')]))).toMatchObject({ ok: { items: [{ name: 'held 4 MiB' }] } });
    expect(await code(sandbox.call('wait-for-txn', [`bytes-${HOG_MIB}`, 1]))).toBe('BERTH_ERR_MEMORY_LIMIT');
    expect(await code(sandbox.call('wait-for-txn', ['bytes-4', 1]))).toEqual({ ok: undefined });
  });
});
