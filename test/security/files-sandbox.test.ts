import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'smol-toml';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { transpileComponent, type TranspiledComponent } from '../../host/component/compile.js';
import { Sandbox } from '../../host/sandbox/sandbox.js';
import type { BuildResult } from '../../datastores/toolchain/build.js';
import { runHost, startHub, TOKEN, until } from '../support/guest-host.js';
import { bareSandboxSpec } from '../support/sandbox-spec.js';
import { escapingLinks } from './support/files-checks.js';
import { buildFileEscape, makeLayout, SECRET, SENTINEL, snapshot, type Layout } from './support/files-layout.js';

/**
 * Issue 13, findings 1, 2 and 7 with the hostile manager
 * (managers/file-escape.ts, built with the real toolchain) in the real
 * sandbox: both lanes, each its own worker thread and instance, over one
 * grant; and in a real `berth host`, a FIFO.
 */
let built: BuildResult;
let component: TranspiledComponent;
let layout: Layout;
let before: string[];
let sandbox: Sandbox | undefined;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  built = await buildFileEscape();
  component = await transpileComponent(built.bytes);
});
beforeEach(async () => {
  layout = await makeLayout();
  before = snapshot(layout.outside);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await sandbox?.close();
  sandbox = undefined;
  await layout.cleanup();
});

type Step = Record<string, unknown>;
const paging = (steps: Step[]) => ({ limit: undefined, marker: JSON.stringify(steps), includeMarker: false });

async function start(): Promise<Sandbox> {
  sandbox = await Sandbox.start({
    component,
    spec: { ...bareSandboxSpec(), directories: [{ hostPath: layout.grant, guestPath: '/data', access: 'read-write' }] },
    // generous: the loops below are counted, never timed, and the machine is shared
    quickTimeoutMs: 120_000,
    slowTimeoutMs: 120_000,
  });
  return sandbox;
}

/** The outcomes of a script on the quick lane. */
async function quick(box: Sandbox, steps: Step[]): Promise<string[]> {
  const outcome = (await box.call('list-databases', [paging(steps)])) as { ok: { items: Array<{ name: string }> } };
  return outcome.ok.items.map((item) => item.name);
}

/** The outcomes of a script on the slow lane (wait-for-txn answers them as its failure's detail). */
async function slow(box: Sandbox, steps: Step[]): Promise<string[]> {
  const outcome = (await box.call('wait-for-txn', [JSON.stringify(steps), 1])) as { err: { tag: string; val: { detail: string } } };
  return JSON.parse(outcome.err.val.detail) as string[];
}

const unread = (outcomes: readonly string[]) => expect(outcomes.filter((o) => o.includes(SECRET) || o.includes(SENTINEL))).toEqual([]);

describe('a hostile manager in the sandbox', () => {
  it('finding 1: cannot point a symlink out by renaming it, nor act outside through a directory descriptor kept from before', async () => {
    const box = await start();
    const outcomes = await quick(box, [
      { op: 'mkdir', path: 'sub' },
      { op: 'open-dir', path: 'sub', as: 'old' },
      { op: 'mkdir', path: 'p' },
      { op: 'mkdir', path: 'p/q' },
      // inside where it is made (grant/p/outside); the sentinel tree once it is grant/sub
      { op: 'symlink', target: '../outside', path: 'p/q/l' },
      { op: 'rename', from: 'sub', to: 'sub-moved' },
      { op: 'rename', from: 'p/q/l', to: 'sub' },
      { op: 'list', path: '.', in: 'old' },
      { op: 'mkdir', path: 'planted', in: 'old' },
      { op: 'unlink', path: 'sentinel-a.txt', in: 'old' },
      { op: 'rename', from: 'sentinel-nested', to: 'stolen', in: 'old', toIn: 'root' },
      { op: 'read', path: 'sub/sentinel-a.txt' },
    ]);
    unread(outcomes);
    expect(outcomes[4]).toBe('not-permitted');
    expect(snapshot(layout.outside)).toEqual(before);
    expect(escapingLinks(layout.grant)).toEqual([]);
  });

  it('finding 2: the two lanes racing a directory and a symlink under one name steal, plant, make and link nothing outside', async () => {
    const box = await start();
    // the slow lane's instance starts with its first call: have it running before the race
    await slow(box, []);
    const setup = await quick(box, [
      { op: 'mkdir', path: 'real' },
      { op: 'mkdir', path: 'p' },
      { op: 'mkdir', path: 'p/q' },
      { op: 'symlink', target: '../outside', path: 'p/q/l' },
      { op: 'rename', from: 'p/q/l', to: 'link' },
    ]);
    const swapping = quick(box, [
      {
        op: 'repeat',
        times: 20_000,
        steps: [
          { op: 'rename', from: 'real', to: 'flip' },
          { op: 'rename', from: 'flip', to: 'real' },
          { op: 'rename', from: 'link', to: 'flip' },
          { op: 'rename', from: 'flip', to: 'link' },
        ],
      },
    ]);
    const attacking = slow(box, [
      {
        op: 'repeat',
        times: 4_000,
        steps: [
          { op: 'rename', from: 'flip/sentinel-a.txt', to: 'stolen.txt' },
          { op: 'link', from: 'flip/sentinel-nested/sentinel-b.txt', to: 'linked.txt' },
          { op: 'create', path: 'flip/planted.txt', text: 'planted' },
          { op: 'mkdir', path: 'flip/made' },
          { op: 'read', path: 'flip/sentinel-a.txt' },
          { op: 'list', path: 'flip' },
        ],
      },
    ]);
    const outcomes = [...setup, ...(await swapping), ...(await attacking)];
    unread(outcomes);
    expect(snapshot(layout.outside)).toEqual(before);
    expect(escapingLinks(layout.grant)).toEqual([]);
  });
});

describe('finding 7: a FIFO in the grant of a real berth host', () => {
  it('answers an open of it at once with an error, and the host still stops on SIGTERM', async () => {
    const server = await startHub({});
    cleanups.push(() => server.close());
    const volume = join(layout.root, 'volume');
    await mkdir(volume);
    const fifo = join(volume, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const wasm = join(layout.root, 'file-escape.wasm');
    await writeFile(wasm, built.bytes);
    const configPath = join(layout.root, 'guest.toml');
    await writeFile(
      configPath,
      stringify({
        guest: { instance_id: 'inst-1', server_url: server.url, token: TOKEN },
        manager: { path: wasm, sha256: built.sha256 },
        grants: { directories: [{ host: volume, guest: '/var/lib/hostile', access: 'read-write' }] },
        host: { report_interval: 0.2, call_timeout: 5, slow_call_timeout: 30, state_dir: join(layout.root, 'state'), spool_dir: join(layout.root, 'spool') },
      }),
    );
    const host = runHost(configPath, cleanups);
    // whatever happens, release a blocked open(2) (the FIFO's other end) so that nothing outlives the test
    cleanups.push(async () => {
      for (const flags of [constants.O_RDONLY, constants.O_WRONLY]) {
        try {
          closeSync(openSync(fifo, flags | constants.O_NONBLOCK));
        } catch {
          // no one waiting on that end
        }
      }
      host.child.kill('SIGKILL');
    });
    await until(() => server.hub.isConnected('inst-1'), 'the host to connect');
    const opened = await server.hub
      .call('inst-1', 'list-databases', [paging([{ op: 'read', path: 'pipe' }, { op: 'create', path: 'pipe', text: 'x' }, { op: 'stat', path: 'pipe' }])], 20_000)
      .catch((error: unknown) => ({ error: (error as { code?: string }).code }));
    expect(opened).toEqual({ ok: { items: ['not-permitted', 'not-permitted', 'ok:fifo'].map((name) => ({ name, characterSet: undefined, collation: undefined })), nextMarker: undefined } });
    // still answering after it: no thread of it is stuck
    expect(await server.hub.call('inst-1', 'status', [], 20_000)).toEqual({ ok: 'running' });
    host.child.kill('SIGTERM');
    // a host that ignores SIGTERM never exits: the bound only turns that hang into a failure
    const exited = await Promise.race([host.exited.then(() => 'exited'), new Promise((resolve) => setTimeout(() => resolve('still running 30 s after SIGTERM'), 30_000))]);
    expect(exited).toBe('exited');
  });
});
