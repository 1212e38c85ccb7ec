// Issue 17, from an outside manager author: programs started with exec.spawn were never reaped.
// The lane's worker thread that spawned a program was the only one to wait for it (libuv reaps a
// child in the loop that spawned it); once that worker was terminated (the slow lane stops when
// idle, a lane is replaced after a deadline) the program stayed <defunct> for good, `kill -0`
// said it lived, and a restart waited for it until its deadline. And a manager whose datastore has
// no shutdown command (etcd) had no way to stop it but a granted /usr/bin/kill, which signals
// anything. Here, with real processes: every spawned program is reaped whatever became of the
// worker that asked, its exit is visible through exec.status, and exec.signal reaches only a
// program this host spawned that still runs.
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildManager, type BuildResult } from '../../datastores/toolchain/build.js';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { describeComponent } from '../../host/component/describe.js';
import { transpileComponent, type TranspiledComponent } from '../../host/component/compile.js';
import { createProgramTable } from '../../host/capabilities/exec-slots.js';
import { Sandbox } from '../../host/sandbox/sandbox.js';
import { bareSandboxSpec } from '../support/sandbox-spec.js';

const SLEEP = '/usr/bin/sleep';
const SH = '/usr/bin/sh';
const VOLUME = '/var/lib/lifecycle';
const LOG = `${VOLUME}/spawned.log`;

let built: BuildResult;
let component: TranspiledComponent;
let dir: string;
const started = new Set<number>();
const cleanups: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  built = await buildManager({ describe: describeComponent, entry: join(PACKAGE_ROOT, 'test', 'security', 'managers', 'spawn-lifecycle.ts'), backend: 'quickjs' });
  component = await transpileComponent(built.bytes);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // ended
    }
  }
  started.clear();
  await rm(dir, { recursive: true, force: true });
});

interface Step {
  spawn?: { program: string; args: string[]; log: string };
  signal?: { pid: number; sig: string };
  status?: number;
  run?: { program: string; args: string[] };
}

async function sandbox(options: { slowLaneIdleMs?: number } = {}) {
  dir = await mkdtemp(join(tmpdir(), 'berth-sec-lifecycle-'));
  await mkdir(join(dir, 'volume'));
  const box = await Sandbox.start({
    component,
    spec: {
      ...bareSandboxSpec(),
      programs: [SLEEP, SH],
      directories: [{ hostPath: join(dir, 'volume'), guestPath: VOLUME, access: 'read-write' }],
      exec: { defaultTimeoutMs: 60_000, maxTimeoutMs: 60_000, outputLimitBytes: 1024, programTable: createProgramTable(8) },
    },
    quickTimeoutMs: 60_000,
    slowTimeoutMs: 60_000,
    slowLaneIdleMs: options.slowLaneIdleMs,
  });
  cleanups.push(() => box.close());
  const quick = async (steps: Step[]) => {
    const outcome = (await box.call('list-databases', [{ limit: undefined, marker: JSON.stringify(steps), includeMarker: false }])) as { ok: { items: Array<{ name: string }> } };
    return outcome.ok.items.map((item) => item.name);
  };
  const slow = async (steps: Step[], deadlineMs?: number) => {
    const outcome = (await box.call('wait-for-txn', [JSON.stringify(steps)], deadlineMs)) as { err: { val: { detail: string } } };
    return JSON.parse(outcome.err.val.detail) as string[];
  };
  return { box, quick, slow };
}

const spawnStep = (program: string, args: string[]): Step => ({ spawn: { program, args, log: LOG } });

function pidOf(outcome: string | undefined): number {
  expect(outcome).toMatch(/^ok:\d+$/);
  const pid = Number(outcome!.slice(3));
  started.add(pid);
  return pid;
}

/** R, S, Z..., or undefined once the process is gone (reaped). */
function state(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** It ended (no longer running) and then was reaped: gone from /proc, not a zombie. */
async function reaped(pid: number): Promise<void> {
  await eventually(() => state(pid) === undefined || state(pid) === 'Z', `${pid} to end`);
  // the owner reaps at once; a second is more than enough
  await eventually(() => state(pid) === undefined, `${pid} to be reaped (it is ${state(pid)})`, 2000);
}

const statusOf = (outcome: string) => JSON.parse(outcome.slice(3)) as { running: boolean; exitCode?: number; signal?: string };

describe('issue 17: every spawned program is reaped, and its exit is visible', () => {
  it('reaps a program that exits, and exec.status reports its exit code', async () => {
    const { quick } = await sandbox();
    const pid = pidOf((await quick([spawnStep(SH, ['-c', 'sleep 0.3; exit 3'])]))[0]);
    expect(statusOf((await quick([{ status: pid }]))[0]!)).toEqual({ running: true });
    await reaped(pid);
    expect(statusOf((await quick([{ status: pid }]))[0]!)).toEqual({ running: false, exitCode: 3 });
  });

  it('reaps a program whose slow lane stopped when idle, and the quick lane sees its exit', async () => {
    const { quick, slow } = await sandbox({ slowLaneIdleMs: 200 });
    const pid = pidOf((await slow([spawnStep(SH, ['-c', 'sleep 2; exit 4'])]))[0]);
    // the slow lane's worker stops 200 ms after that call; the program ends later
    await reaped(pid);
    expect(statusOf((await quick([{ status: pid }]))[0]!)).toEqual({ running: false, exitCode: 4 });
  });

  it('reaps a program whose lane was replaced after a missed deadline', async () => {
    const { quick, slow } = await sandbox();
    const marker = join(dir, 'volume', 'pid');
    // spawn, then a run that outlasts the call's deadline: the worker is terminated once the run returns
    const cut = await slow([spawnStep(SH, ['-c', `echo $$ > ${marker}; sleep 4; exit 5`]), { run: { program: SLEEP, args: ['2'] } }], 1000).catch((error: { code?: string }) => error.code);
    expect(cut).toBe('BERTH_ERR_CALL_TIMEOUT');
    await eventually(() => /^\d+\n$/.test(safeRead(marker)), 'the program to write its pid');
    const pid = Number(safeRead(marker));
    started.add(pid);
    await reaped(pid);
    expect(statusOf((await quick([{ status: pid }]))[0]!)).toEqual({ running: false, exitCode: 5 });
  });
});

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

describe('issue 17: exec.signal reaches only a program this host spawned and that still runs', () => {
  it('ends its own spawned program with term, and status says which signal ended it', async () => {
    const { quick, slow } = await sandbox();
    // spawned on the slow lane, signalled from the quick one: the owner is the host's, not a lane's
    const pid = pidOf((await slow([spawnStep(SLEEP, ['1000'])]))[0]);
    expect(await quick([{ signal: { pid, sig: 'term' } }])).toEqual(['ok:undefined']);
    await reaped(pid);
    expect(statusOf((await quick([{ status: pid }]))[0]!)).toEqual({ running: false, signal: 'SIGTERM' });
    // ended: signalling it again is refused (its pid may be another process's by now)
    expect((await quick([{ signal: { pid, sig: 'kill' } }]))[0]).toMatch(/^denied:pid \d+: the program this host spawned with it has ended/);
  });

  it('refuses the host itself, pid 1 and a process it did not spawn, and signals none of them', async () => {
    const { quick } = await sandbox();
    const stranger = spawnChild(SLEEP, ['1000'], { stdio: 'ignore' });
    cleanups.push(() => stranger.kill('SIGKILL'));
    const outcomes = await quick([
      { signal: { pid: process.pid, sig: 'kill' } },
      { signal: { pid: 1, sig: 'hup' } },
      { signal: { pid: stranger.pid!, sig: 'kill' } },
      { signal: { pid: 0, sig: 'kill' } },
      { status: stranger.pid! },
      { status: process.pid },
    ]);
    for (const outcome of outcomes) expect(outcome).toMatch(/^denied:pid \d+: not a program this host spawned/);
    expect(state(stranger.pid!)).toMatch(/^[RS]$/);
  });

  it('refuses a signal the contract does not name', async () => {
    const { quick } = await sandbox();
    const pid = pidOf((await quick([spawnStep(SLEEP, ['1000'])]))[0]);
    // a manager can hand the import any string: the enum's lowering in the component traps before the host is asked
    const outcome = await quick([{ signal: { pid, sig: 'stop' } }]).catch((error: { code?: string }) => error.code);
    expect(outcome).toBe('BERTH_ERR_CALL_TRAPPED');
    expect(state(pid)).toMatch(/^[RS]$/);
    // still this host's program, on the replaced lane as on the old one
    expect(statusOf((await quick([{ status: pid }]))[0]!)).toEqual({ running: true });
  });

  it('never signals a process that was given the pid of a spawned program that ended', async () => {
    const { quick } = await sandbox();
    const pid = pidOf((await quick([spawnStep(SH, ['-c', 'exit 0'])]))[0]);
    await reaped(pid);
    // a real reuse: the kernel gives the next process the pid after ns_last_pid (root only)
    const reused = await processWithPid(pid);
    cleanups.push(() => reused.kill('SIGKILL'));
    expect(reused.pid).toBe(pid);
    const outcomes = await quick([{ signal: { pid, sig: 'kill' } }, { status: pid }]);
    expect(outcomes[0]).toMatch(/^denied:pid \d+: the program this host spawned with it has ended/);
    expect(statusOf(outcomes[1]!)).toEqual({ running: false, exitCode: 0 });
    expect(state(pid)).toMatch(/^[RS]$/);
  });
});

/** A process of this test given `pid`, by setting the kernel's last pid just before it (root). */
async function processWithPid(pid: number): Promise<ChildProcess> {
  expect(process.getuid?.(), 'reusing a pid needs root (as CI runs)').toBe(0);
  // any process another test starts between the write and the spawn takes the pid first: on CI's busy two cores, try often
  for (let attempt = 0; attempt < 1000; attempt++) {
    writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
    const child = spawnChild(SLEEP, ['1000'], { stdio: 'ignore' });
    if (child.pid === pid) return child;
    child.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, attempt % 10 === 9 ? 50 : 2));
  }
  throw new Error(`could not get pid ${pid} again`);
}
