import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { createDeniedExec } from '../../../host/capabilities/denied.js';
import { createExec, type ExecGrant } from '../../../host/capabilities/exec.js';
import { buildFixture, call, instantiateBytes, type ExportedInterfaces } from '../../support/components.js';

interface SpawnRequest {
  program: string;
  args?: string[];
  log: string;
  env?: Record<string, string>;
  cwd?: string;
}
type Outcome = { ok: number; err?: undefined } | { err: { tag: string; val: string }; ok?: undefined };

let bytes: Uint8Array;
let tmp: string;
let denials: Array<[string, string]>;
let started: number[];

beforeAll(async () => {
  bytes = (await buildFixture('spawn-probe', 'quickjs')).bytes;
});
beforeEach(async () => {
  tmp = await realpath(await mkdtemp(join(tmpdir(), 'berth-spawn-')));
  await mkdir(join(tmp, 'volume'));
  await mkdir(join(tmp, 'config'));
  denials = [];
  started = [];
});
afterEach(async () => {
  for (const pid of started) kill(pid);
  await rm(tmp, { recursive: true, force: true });
});

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The volume read-write at /vol, a configuration directory read-only at /etc/probe. */
function grantOf(overrides: Partial<ExecGrant> = {}): ExecGrant {
  return {
    programs: ['/usr/bin/sh', '/usr/bin/sleep'],
    environment: { GRANTED: 'by the config' },
    directories: [
      { hostPath: join(tmp, 'volume'), guestPath: '/vol', access: 'read-write' },
      { hostPath: join(tmp, 'config'), guestPath: '/etc/probe', access: 'read-only' },
    ],
    defaultTimeoutMs: 10_000,
    maxTimeoutMs: 10_000,
    outputLimitBytes: 1024,
    ...overrides,
  };
}

async function manager(overrides: Partial<ExecGrant> = {}): Promise<ExportedInterfaces> {
  return instantiateBytes(bytes, { exec: createExec(grantOf(overrides), (capability, what) => denials.push([capability, what])) });
}

/** ctx.exec.spawn inside the component: the pid, or the capability error it raised. */
function spawn(exports: ExportedInterfaces, request: SpawnRequest): Outcome {
  const outcome = call(exports.guestLog!.guestLogAction, JSON.stringify(request), 'enable');
  if (!('ok' in outcome)) throw new Error(`the probe did not answer: ${JSON.stringify(outcome)}`);
  const parsed = JSON.parse((outcome.ok as { name: string }).name) as Outcome;
  if (parsed.ok !== undefined) started.push(parsed.ok);
  return parsed;
}

/** Fields of /proc/<pid>/stat after the command name: state, ppid, pgrp, session... */
function stat(pid: number): { state: string; ppid: number; session: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, ppid: Number(fields[1]), session: Number(fields[3]) };
  } catch {
    return undefined;
  }
}

const alive = (pid: number) => {
  const state = stat(pid)?.state;
  return state !== undefined && state !== 'Z';
};

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('exec spawn: long-running programs started detached', () => {
  it('starts a granted program, returns its pid at once and leaves it running in its own session, its output appended to the log', async () => {
    const exports = await manager();
    await writeFile(join(tmp, 'volume', 'daemon.log'), 'kept from before\n');
    await mkdir(join(tmp, 'volume', 'data'));
    const before = Date.now();
    const outcome = spawn(exports, {
      program: 'sh',
      args: ['-c', 'echo "$GRANTED, $TZ, in $(pwd)"; echo oops >&2; exec sleep 30'],
      log: '/vol/daemon.log',
      env: { TZ: 'by the manager' },
      cwd: '/vol/data',
    });
    expect(Date.now() - before).toBeLessThan(3000);
    expect(outcome.ok).toBeGreaterThan(0);
    const pid = outcome.ok!;
    await until(async () => (await readFile(join(tmp, 'volume', 'daemon.log'), 'utf8')).includes('oops'), 'the program to write its log');
    expect(await readFile(join(tmp, 'volume', 'daemon.log'), 'utf8')).toBe(`kept from before\nby the config, by the manager, in ${join(tmp, 'volume', 'data')}\noops\n`);
    // still running after the call returned, as the leader of its own session
    expect(alive(pid)).toBe(true);
    expect(stat(pid)!.session).toBe(pid);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toEqual(['sleep', '30', '']);
    expect(denials).toEqual([]);
  });

  it('leaves the program running after the process that started it exits', async () => {
    const module = pathToFileURL(join(PACKAGE_ROOT, 'dist', 'host', 'capabilities', 'exec.js')).href;
    const grant = JSON.stringify(grantOf());
    const script = `
      const { createExec } = await import(${JSON.stringify(module)});
      const exec = createExec(${grant});
      const pid = exec.spawn({ program: '/usr/bin/sleep', args: ['30'], env: [], stdin: undefined, cwd: undefined, timeoutMs: undefined }, '/vol/sleep.log');
      process.stdout.write(String(pid));`;
    // the host process exits by itself: the spawned program holds nothing open in it
    const pid = Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 }));
    started.push(pid);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(true);
    expect(stat(pid)!.session).toBe(pid);
    expect(stat(pid)!.ppid).not.toBe(process.pid);
    expect(existsSync(join(tmp, 'volume', 'sleep.log'))).toBe(true);
  });

  it.each([
    ['a program not on the list', { program: '/usr/bin/id', log: '/vol/x.log' }, 'program /usr/bin/id'],
    ['a relative path to a granted program', { program: './sleep', log: '/vol/x.log' }, 'program ./sleep'],
    ['a relative path with a directory', { program: 'bin/sleep', log: '/vol/x.log' }, 'program bin/sleep'],
    ['a log outside every granted directory', { program: 'sleep', args: ['30'], log: '/tmp/x.log' }, 'log path /tmp/x.log: outside every granted directory'],
    ['a log in a read-only directory', { program: 'sleep', args: ['30'], log: '/etc/probe/x.log' }, 'log path /etc/probe/x.log: its directory is granted read-only'],
    ['a log whose directory is a symlink leading out of the grant', { program: 'sleep', args: ['30'], log: '/vol/out/x.log' }, 'a symlink leads out of its granted directory'],
    ['a log that is itself a symlink', { program: 'sleep', args: ['30'], log: '/vol/link.log' }, 'log path /vol/link.log: is a symlink'],
  ] satisfies Array<[string, SpawnRequest, string]>)('denies %s, starts nothing and reports it', async (_label, request, message) => {
    await symlink(join(tmp, 'config'), join(tmp, 'volume', 'out'));
    await symlink(join(tmp, 'config', 'target.log'), join(tmp, 'volume', 'link.log'));
    const exports = await manager();
    const outcome = spawn(exports, request);
    expect(outcome.err).toEqual({ tag: 'denied', val: expect.stringContaining(message) });
    expect(denials).toEqual([['exec', outcome.err!.val]]);
    expect(existsSync(join(tmp, 'volume', 'x.log'))).toBe(false);
    expect(existsSync(join(tmp, 'config', 'x.log'))).toBe(false);
    expect(existsSync(join(tmp, 'config', 'target.log'))).toBe(false);
  });

  it.each([
    ['a relative log path', 'daemon.log', 'must be an absolute guest path'],
    ['a log path with ..', '/vol/../vol/daemon.log', 'must be an absolute guest path'],
    ['a log path naming a directory', '/vol/data', 'cannot be opened for appending (EISDIR)'],
    ['a log path whose directory is missing', '/vol/missing/daemon.log', 'its directory does not exist'],
  ])('answers %s as invalid', async (_label, log, message) => {
    await mkdir(join(tmp, 'volume', 'data'));
    const exports = await manager();
    expect(spawn(exports, { program: 'sleep', args: ['30'], log }).err).toEqual({ tag: 'invalid', val: expect.stringContaining(message) });
  });

  it('refuses stdin and a timeout, which a detached program cannot have, and the rules of run for the environment', () => {
    const exec = createExec(grantOf());
    const command = { program: 'sleep', args: ['30'], env: [], stdin: undefined, cwd: undefined, timeoutMs: undefined };
    const refusal = (thunk: () => unknown) => {
      try {
        started.push(thunk() as number);
        return undefined;
      } catch (thrown) {
        return (thrown as { payload: unknown }).payload;
      }
    };
    expect(refusal(() => exec.spawn({ ...command, stdin: new Uint8Array([1]) }, '/vol/x.log'))).toEqual({ tag: 'invalid', val: expect.stringContaining('reads no stdin') });
    expect(refusal(() => exec.spawn({ ...command, timeoutMs: 1000 }, '/vol/x.log'))).toEqual({ tag: 'invalid', val: expect.stringContaining('no timeout') });
    expect(refusal(() => exec.spawn({ ...command, env: [{ key: 'GRANTED', value: 'mine' }] }, '/vol/x.log'))).toEqual({ tag: 'invalid', val: expect.stringContaining('may not be overridden') });
    expect(refusal(() => exec.spawn({ ...command, env: [{ key: 'LD_PRELOAD', value: '/vol/evil.so' }] }, '/vol/x.log'))).toEqual({ tag: 'denied', val: expect.stringContaining('LD_PRELOAD') });
    expect(started).toEqual([]);
  });

  it('is denied when nothing is granted', () => {
    let thrown: unknown;
    try {
      createDeniedExec().spawn({ program: '/usr/bin/sleep', args: [], env: [], stdin: undefined, cwd: undefined, timeoutMs: undefined }, '/vol/x.log');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toEqual({ payload: { tag: 'denied', val: 'program /usr/bin/sleep: nothing is granted' } });
  });
});
