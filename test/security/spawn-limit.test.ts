// Issue 13, finding 12: "exec.spawn 400 times: all run, and all outlive the host." A hostile
// manager (managers/spawn-flood.ts) starts programs without end. The host must count them
// (spawned and alive, and runs in flight, across both lanes), refuse past host.spawn_limit with
// `denied`, and end what it spawned when it stops, but for the datastore (what listens where a
// connection grant points), which a restarted host must find running.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'smol-toml';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildManager, type BuildResult } from '../../datastores/toolchain/build.js';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { transpileComponent } from '../../host/component/compile.js';
import { createProgramTable } from '../../host/capabilities/exec-slots.js';
import { Sandbox } from '../../host/sandbox/sandbox.js';
import { freePort } from '../../server/provisioning/local-machine.js';
import { runHost, startHub, TOKEN, until } from '../support/guest-host.js';
import { bareSandboxSpec } from '../support/sandbox-spec.js';
import { describeComponent } from '../../host/component/describe.js';

/** host.spawn_limit's default (host/config/guest-config.ts), which the first test relies on. */
const DEFAULT_SPAWN_LIMIT = 8;
const SLEEP = '/usr/bin/sleep';
const SH = '/usr/bin/sh';
const VOLUME_GUEST = '/var/lib/hostile';

let built: BuildResult;
let dir: string;
const started = new Set<number>();
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  built = await buildManager({ describe: describeComponent, entry: join(PACKAGE_ROOT, 'test', 'security', 'managers', 'spawn-flood.ts'), backend: 'quickjs' });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  // on the code before the fix, hundreds of these are still running
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // ended, as it should be
    }
  }
  started.clear();
  await rm(dir, { recursive: true, force: true });
});

interface Instruction {
  spawn?: number;
  run?: boolean;
  program: string;
  args: string[];
  log?: string;
}
const paging = (instruction: Instruction) => ({ limit: undefined, marker: JSON.stringify(instruction), includeMarker: false });

/** Still running, by /proc/<pid>/stat: a zombie has ended and waits only for its reaper. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The pids of the programs started, and the denials, from the manager's outcomes. */
function tally(outcomes: string[]): { pids: number[]; denied: string[]; other: string[] } {
  const pids = outcomes.filter((o) => o.startsWith('ok:')).map((o) => Number(o.slice(3)));
  for (const pid of pids) started.add(pid);
  return { pids, denied: outcomes.filter((o) => o.startsWith('denied:')), other: outcomes.filter((o) => !o.startsWith('ok:') && !o.startsWith('denied:')) };
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.unref();
  });

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A real berth host running the hostile manager, with sleep, sh and node granted and a redis connection granted on `port`. */
async function startHost(port: number, host: Record<string, unknown> = {}) {
  dir = await mkdtemp(join(tmpdir(), 'berth-sec-spawn-'));
  const volume = join(dir, 'volume');
  await mkdir(volume);
  const server = await startHub({});
  cleanups.push(() => server.close());
  const wasm = join(dir, 'spawn-flood.wasm');
  await writeFile(wasm, built.bytes);
  const configPath = join(dir, 'guest.toml');
  await writeFile(
    configPath,
    stringify({
      guest: { instance_id: 'inst-1', server_url: server.url, token: TOKEN },
      manager: { path: wasm, sha256: built.sha256 },
      grants: {
        programs: [SLEEP, SH, process.execPath],
        directories: [{ host: volume, guest: VOLUME_GUEST, access: 'read-write' }],
        connections: { admin: { kind: 'redis', url: `redis://berth:secret@127.0.0.1:${port}` } },
      },
      host: { report_interval: 0.2, call_timeout: 120, slow_call_timeout: 120, state_dir: join(dir, 'state'), spool_dir: join(dir, 'spool'), ...host },
    }),
  );
  const hostProcess = runHost(configPath, cleanups);
  await until(() => server.hub.isConnected('inst-1'), 'the host to connect');
  const quick = async (instruction: Instruction) => {
    const outcome = (await server.hub.call('inst-1', 'list-databases', [paging(instruction)], 120_000)) as { ok: { items: Array<{ name: string }> } };
    return outcome.ok.items.map((item) => item.name);
  };
  const slow = async (instruction: Instruction) => {
    const outcome = (await server.hub.call('inst-1', 'wait-for-txn', [JSON.stringify(instruction)], 120_000)) as { err: { tag: string; val: { detail: string } } };
    return JSON.parse(outcome.err.val.detail) as string[];
  };
  const stop = async () => {
    hostProcess.child.kill('SIGTERM');
    await hostProcess.exited;
  };
  return { volume, quick, slow, stop, stderr: hostProcess.stderr };
}

describe('finding 12: spawned programs are counted, capped, and end with the host', () => {
  it('starts only host.spawn_limit of 400 spawns, denies the rest naming the limit, and ends them all when the host stops', async () => {
    const host = await startHost(await freePort());
    const { pids, denied, other } = tally(await host.quick({ spawn: 400, program: 'sleep', args: ['1000'] }));
    expect(other).toEqual([]);
    expect(pids).toHaveLength(DEFAULT_SPAWN_LIMIT);
    expect(denied).toHaveLength(400 - DEFAULT_SPAWN_LIMIT);
    for (const denial of denied) expect(denial).toContain('host.spawn_limit (8)');
    for (const pid of pids) expect(running(pid)).toBe(true);

    await host.stop();
    // ended, not orphaned: gone from /proc, or at most a zombie waiting for its reaper
    expect(pids.filter(running)).toEqual([]);
    expect(host.stderr()).toContain(`ended ${DEFAULT_SPAWN_LIMIT} spawned program(s)`);
  });

  it('counts a run in flight on the other lane and the datastore, and leaves the datastore running when the host stops', async () => {
    const port = await freePort();
    const host = await startHost(port, { spawn_limit: 4 });
    // the datastore: the one program listening where the connection grant points
    const datastore = tally(await host.quick({ spawn: 1, program: process.execPath, args: ['-e', `require('node:net').createServer().listen(${port}, '127.0.0.1')`] }));
    expect(datastore.pids).toHaveLength(1);
    await eventually(() => listening(port), 'the datastore to listen');

    // a run on the slow lane, in flight until the test lets it finish
    const startedMarker = join(host.volume, 'running');
    const release = join(host.volume, 'release');
    // a failing assertion below must not leave the run, and so the host's stop, waiting
    cleanups.push(() => writeFile(release, ''));
    const slowRun = host.slow({ run: true, program: 'sh', args: ['-c', `touch ${startedMarker}; while [ ! -e ${release} ]; do sleep 0.05; done`] });
    await until(() => existsSync(startedMarker), 'the run to start');

    const during = tally(await host.quick({ spawn: 10, program: 'sleep', args: ['1000'] }));
    // 4 slots: the datastore, the run, and two sleeps
    expect(during.pids).toHaveLength(2);
    expect(during.denied).toHaveLength(8);

    await writeFile(release, '');
    expect(await slowRun).toEqual(['ok:exit 0']);
    // the run's slot is free again
    const after = tally(await host.quick({ spawn: 10, program: 'sleep', args: ['1000'] }));
    expect(after.pids).toHaveLength(1);

    await host.stop();
    expect([...during.pids, ...after.pids].filter(running)).toEqual([]);
    expect(running(datastore.pids[0]!)).toBe(true);
    expect(await listening(port)).toBe(true);
  });
});

describe('finding 12: a run cut off by its deadline frees its slot once its worker has gone', () => {
  it('lets the next program start after the lane was replaced in the middle of a run', async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-sec-spawn-'));
    await mkdir(join(dir, 'volume'));
    const sandbox = await Sandbox.start({
      component: await transpileComponent(built.bytes),
      spec: {
        ...bareSandboxSpec(),
        programs: [SLEEP, SH],
        directories: [{ hostPath: join(dir, 'volume'), guestPath: VOLUME_GUEST, access: 'read-write' }],
        exec: { defaultTimeoutMs: 60_000, maxTimeoutMs: 60_000, outputLimitBytes: 1024, programTable: createProgramTable(1) },
      },
      quickTimeoutMs: 60_000,
      slowTimeoutMs: 60_000,
    });
    cleanups.push(() => sandbox.close());
    // the worker is terminated at the deadline while spawnSync holds it (it ends once the run does):
    // the run's own `finally` never runs
    const marker = join(dir, 'volume', 'started');
    const run = { run: true, program: 'sh', args: ['-c', `touch ${marker}; sleep 8`] };
    const cut = await sandbox.call('list-databases', [paging(run)], 5000).catch((error: { code?: string }) => error.code);
    expect(cut).toBe('BERTH_ERR_CALL_TIMEOUT');
    // the deadline fell in the middle of the run, not before it began
    expect(existsSync(marker)).toBe(true);
    let outcomes: string[] = [];
    await eventually(async () => {
      const answer = (await sandbox.call('list-databases', [paging({ spawn: 1, program: 'sleep', args: ['1000'] })])) as { ok: { items: Array<{ name: string }> } };
      outcomes = answer.ok.items.map((item) => item.name);
      tally(outcomes);
      return outcomes[0]!.startsWith('ok:');
    }, 'the slot of the cut-off run to be free');
    expect(outcomes).toHaveLength(1);
  });
});
