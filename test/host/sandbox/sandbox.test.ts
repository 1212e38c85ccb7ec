import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture } from '../../support/components.js';
import { bareSandboxSpec } from '../../support/sandbox-spec.js';
import { transpileComponent, type TranspiledComponent } from '../../../host/component/compile.js';
import { Sandbox } from '../../../host/sandbox/sandbox.js';
import { hostDeadline } from '../../../host/sandbox/call-deadline.js';
import { BerthError } from '../../../datastores/errors/berth-error.js';

const paging = (marker?: string, limit?: number) => ({ limit, marker, includeMarker: false });
const prepareRequest = (ms: number) => ({
  memoryMb: ms, packages: [], databases: [], users: [], devicePath: undefined, mountPoint: undefined,
  backup: undefined, configContents: undefined, rootPassword: undefined, overrides: [],
});


let component: TranspiledComponent;
let sandbox: Sandbox | undefined;
beforeAll(async () => {
  component = await transpileComponent((await buildFixture('misbehaving', 'quickjs')).bytes);
});
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(options?: Record<string, string>, restarts: string[] = [], quickLaneIdleMs?: number): Promise<Sandbox> {
  sandbox = await Sandbox.start({
    component,
    spec: bareSandboxSpec(options),
    quickTimeoutMs: 2000,
    slowTimeoutMs: 5000,
    quickLaneIdleMs,
    onRestart: (lane, reason) => restarts.push(`${lane}: ${reason}`),
  });
  return sandbox;
}

async function failure(promise: Promise<unknown>): Promise<BerthError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(BerthError);
  return error as BerthError;
}

describe('the manager sandbox', () => {
  it("sends what the manager prints to stdout and stderr to the operator's log, a line each", async () => {
    // StarlingMonkey's console writes to wasi:cli's stdout and stderr (QuickJS's prints nothing)
    const printing = await transpileComponent((await buildFixture('misbehaving', 'starlingmonkey')).bytes);
    const lines: string[] = [];
    sandbox = await Sandbox.start({
      component: printing,
      spec: bareSandboxSpec(),
      quickTimeoutMs: 2000,
      slowTimeoutMs: 5000,
      onLog: (entry) => lines.push(`${entry.level} ${entry.context}: ${entry.message}`),
    });
    expect(await sandbox.call('list-databases', [paging('print')])).toHaveProperty('ok');
    expect(lines).toEqual(expect.arrayContaining(['info stdout: first printed line', 'info stdout: second printed line', 'warn stderr: printed to stderr']));
  });

  it('hands the component its options through wasi:config/store and nothing of the host', async () => {
    const box = await start({ mount_point: '/var/lib/chaos', retries: '3' });
    const outcome = (await box.call('get-root-password', [])) as { ok: string };
    expect(JSON.parse(outcome.ok)).toEqual({
      config: [['mount_point', '/var/lib/chaos'], ['retries', '3']],
      process: 'undefined',
      fetch: 'undefined',
      require: 'undefined',
    });
  });

  it('replaces an instance that traps: the caller is told, the next call works on a fresh instance', async () => {
    const restarts: string[] = [];
    const box = await start({}, restarts);
    expect(await box.call('list-databases', [paging()])).toMatchObject({ ok: { items: [{ name: 'call-1' }] } });
    const error = await failure(box.call('list-databases', [paging('trap')]));
    expect(error.code).toBe('BERTH_ERR_CALL_TRAPPED');
    expect(error.message).toContain('list-databases');
    // module state starts over: this is a new instance (a generous deadline: from source, a worker starts through tsx)
    expect(await box.call('list-databases', [paging()], 60_000)).toMatchObject({ ok: { items: [{ name: 'call-1' }] } });
    expect(restarts).toEqual([expect.stringContaining('quick instance trapped in list-databases')]);
  });

  it('ends a call that loops forever at its deadline and keeps answering', async () => {
    const box = await start();
    const error = await failure(box.call('list-databases', [paging('loop')], 300));
    expect(error.code).toBe('BERTH_ERR_CALL_TIMEOUT');
    expect(error.details).toMatchObject({ operation: 'list-databases', deadline: '300ms', deadlineMs: 300 });
    expect(await box.call('status', [], 60_000)).toEqual({ ok: 'running' });
  });

  it("names the host's own deadline and its guest.toml setting when the caller gives none, with a fix to raise it", async () => {
    // quickTimeoutMs 2000 stands for guest.toml's host.call_timeout = 2
    const box = await start();
    const error = await failure(box.call('list-databases', [paging('loop')]));
    expect(error.code).toBe('BERTH_ERR_CALL_TIMEOUT');
    expect(error.details).toEqual({ operation: 'list-databases', deadline: '2s', deadlineMs: 2000, setting: 'host.call_timeout', where: 'guest.toml' });
    expect(error.fix).toContain('host.call_timeout');
    expect(error.toJSON()).toMatchObject({ code: 'BERTH_ERR_CALL_TIMEOUT', details: { setting: 'host.call_timeout' } });
    expect(await box.call('status', [], 60_000)).toEqual({ ok: 'running' });
  });

  it('names the slow lane\'s setting for a slow operation that passes its deadline', async () => {
    const box = await start();
    const error = await failure(box.call('prepare', [prepareRequest(60_000)], hostDeadline('slow', 400)));
    expect(error.code).toBe('BERTH_ERR_CALL_TIMEOUT');
    expect(error.details).toMatchObject({ operation: 'prepare', deadline: '400ms', setting: 'host.slow_call_timeout', where: 'guest.toml' });
    expect(error.fix).toContain('host.slow_call_timeout');
  });

  it('fails a queued call whose deadline passes while it waits', async () => {
    const box = await start();
    let slowDone = false;
    const slow = box.call('list-databases', [paging('slow', 1500)], 10_000).then((outcome) => {
      slowDone = true;
      return outcome;
    });
    const waiting = failure(box.call('list-databases', [paging()], 200));
    const error = await waiting;
    expect(error.code).toBe('BERTH_ERR_CALL_TIMEOUT');
    expect(error.details).toMatchObject({ operation: 'list-databases', deadlineMs: 200 });
    expect(error.message).toContain('behind list-databases');
    // it failed while the call ahead of it was still running, not after
    expect(slowDone).toBe(false);
    expect(await slow).toMatchObject({ ok: { items: [{ name: 'call-1' }] } });
  });

  it('keeps the status probe answering while a slow operation runs', async () => {
    const box = await start();
    let prepared = false;
    // a generous deadline: the slow lane's worker starts on this call, which takes seconds on a loaded machine
    const prepare = box.call('prepare', [prepareRequest(3000)], 60_000).then((outcome) => {
      prepared = true;
      return outcome;
    });
    for (let i = 0; i < 5; i++) {
      expect(await box.call('status', [])).toEqual({ ok: 'running' });
      expect(prepared, `probe ${i} answered only after prepare finished`).toBe(false);
    }
    expect(await prepare).toEqual({ ok: undefined });
  });

  it('stops the quick instance after its idle time and answers the next call from a fresh one, which is no restart', async () => {
    const restarts: string[] = [];
    const box = await start({}, restarts, 300);
    // the fixture counts calls in module memory: one instance answers call-1, call-2...
    expect(await box.call('list-databases', [paging()])).toMatchObject({ ok: { items: [{ name: 'call-1' }] } });
    expect(await box.call('list-databases', [paging()])).toMatchObject({ ok: { items: [{ name: 'call-2' }] } });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await box.call('list-databases', [paging()], 60_000)).toMatchObject({ ok: { items: [{ name: 'call-1' }] } });
    expect(restarts).toEqual([]);
  });

  it('keeps the quick instance without an idle time (host.quick_lane_idle_stop = 0)', async () => {
    const box = await start();
    expect(await box.call('list-databases', [paging()])).toMatchObject({ ok: { items: [{ name: 'call-1' }] } });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await box.call('list-databases', [paging()])).toMatchObject({ ok: { items: [{ name: 'call-2' }] } });
  });

  it('returns the manifest describe() gave at warm-up', async () => {
    const box = await start();
    expect(box.manifest).toMatchObject({ name: 'misbehaving', operations: ['prepare', 'status', 'list-databases', 'get-root-password'] });
  });
});
