import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { CALL_CHANNEL_BYTES, CallChannelCallee, CallChannelCaller, type ChannelRequest } from '../../../host/sandbox/call-channel.js';

const request = (args: unknown[], artifacts: ChannelRequest['artifacts'] = []): ChannelRequest => ({ id: 7, iface: 'databases', fn: 'listDatabases', args, artifacts });

/** Both ends on one thread: what crosses, and how, without timing in the way. */
function pair() {
  const caller = new CallChannelCaller();
  return { caller, callee: new CallChannelCallee(caller.buffer) };
}

describe('call channel', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('carries a call and its result, bigints and bytes included', () => {
    const { caller, callee } = pair();
    expect(callee.take()).toBeUndefined();
    expect(caller.poll(0)).toBeUndefined();
    const args = [{ limit: 5n, marker: 'a', data: new Uint8Array([0, 255, 7]) }, 'é\u{1F600}'];
    expect(caller.send(request(args))).toBe(true);
    const taken = callee.take()!;
    expect(taken).toEqual(request(args));
    expect(taken.args[0]).toMatchObject({ limit: 5n });
    expect(callee.take()).toBeUndefined();
    expect(callee.answer({ ok: { items: [{ name: 'a' }], size: 12n } }, 42)).toBe(true);
    expect(caller.poll(0)).toEqual({ kind: 'result', outcome: { ok: { items: [{ name: 'a' }], size: 12n } }, runMicros: 42 });
  });

  it('keeps an ok of undefined apart from an err, call after call', () => {
    const { caller, callee } = pair();
    caller.send(request([]));
    callee.take();
    callee.answer({ ok: undefined }, 1);
    const first = caller.poll(0)!;
    expect(first.kind === 'result' && 'ok' in first.outcome).toBe(true);
    caller.send(request([]));
    // the answer to the first call is not taken for the second
    expect(caller.poll(0)).toBeUndefined();
    callee.take();
    callee.answer({ err: { tag: 'unsupported', val: 'no' } }, 1);
    expect(caller.poll(0)).toMatchObject({ kind: 'result', outcome: { err: { tag: 'unsupported', val: 'no' } } });
  });

  it('does not take an earlier answer for a call sent before that answer was published', () => {
    // a result posted by message can reach the lane, and the lane send its next call, before the worker
    // marks that answer as gone by message in the buffer
    const { caller, callee } = pair();
    caller.send(request(['first']));
    callee.take();
    caller.send(request(['second']));
    expect(caller.poll(0)).toBeUndefined();
    callee.answeredByMessage(1);
    expect(caller.poll(0)).toBeUndefined();
    expect(callee.take()).toMatchObject({ args: ['second'] });
    callee.answer({ ok: 'second' }, 1);
    expect(caller.poll(0)).toMatchObject({ kind: 'result', outcome: { ok: 'second' } });
  });

  it('refuses what JSON would change or what does not fit, so that it goes by message', () => {
    const { caller, callee } = pair();
    expect(caller.send(request([[1, undefined]]))).toBe(false);
    expect(caller.send(request([new Map([[1, 2]])]))).toBe(false);
    expect(caller.send(request([Number.NaN]))).toBe(false);
    expect(caller.send(request(['x'.repeat(CALL_CHANNEL_BYTES)]))).toBe(false);
    // three-byte characters: fits by length in UTF-16, not in UTF-8
    expect(caller.send(request(['€'.repeat((CALL_CHANNEL_BYTES - 64) / 2 / 3)]))).toBe(false);
    expect(callee.take()).toBeUndefined();
    expect(caller.send(request(['fits']))).toBe(true);
    callee.take();
    expect(callee.answer({ ok: ['y'.repeat(CALL_CHANNEL_BYTES)] }, 3)).toBe(false);
    callee.answeredByMessage(3);
    expect(caller.poll(0)).toEqual({ kind: 'message', runMicros: 3 });
  });

  it('wakes a parked worker and a parked caller across threads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-channel-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const script = join(dir, 'echo-worker.mjs');
    const channelModule = pathToFileURL(join(PACKAGE_ROOT, 'dist', 'host', 'sandbox', 'call-channel.js')).href;
    // answers each call with its args, after parking on the event loop every time (no spinning); a pending
    // waitAsync does not keep a thread alive, so it listens on its port as the sandbox worker does
    await writeFile(
      script,
      `import { parentPort, workerData } from 'node:worker_threads';
       parentPort.on('message', () => undefined);
       import { CallChannelCallee } from ${JSON.stringify(channelModule)};
       const callee = new CallChannelCallee(workerData);
       const serve = () => callee.whenRequested().then(() => { const call = callee.take(); if (call) callee.answer({ ok: call.args }, 5); serve(); });
       serve();`,
    );
    const caller = new CallChannelCaller();
    const worker = new Worker(script, { workerData: caller.buffer });
    cleanups.push(() => worker.terminate());
    const failed = new Promise<never>((_, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the echo worker exited (${code})`)));
    });
    for (let i = 0; i < 20; i++) {
      caller.send(request([i, 'x']));
      // parked: wait for the answer on the event loop, as a lane does after its spin
      await Promise.race([caller.whenAnswered(), failed]);
      expect(caller.poll(0)).toEqual({ kind: 'result', outcome: { ok: [i, 'x'] }, runMicros: 5 });
    }
  });

  it('releases a caller waiting for a worker that will not answer', async () => {
    const { caller } = pair();
    caller.send(request([]));
    const waiting = caller.whenAnswered();
    caller.release();
    await waiting;
    expect(caller.poll(0)).toBeUndefined();
  });
});
