import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngineImports } from '../../../host/capabilities/engine.js';
import { createFiles } from '../../../host/capabilities/files.js';
import { fileSource, IoError, poll, SyncInputStream, TimerPollable } from '../../../host/capabilities/wasi-io.js';
import type { ManagerLogEntry } from '../../../host/capabilities/logging.js';

/** wasi:io and the engine's own imports, done on the manager's thread with no I/O thread behind them. */
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-io-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const thrownBy = (action: () => unknown): unknown => {
  try {
    action();
  } catch (thrown) {
    return thrown;
  }
  return undefined;
};

describe('wasi:io on the manager thread', () => {
  it('sleeps a timer pollable until its instant, and polls the soonest of several', () => {
    const ms = 1_000_000n;
    const later = TimerPollable.at(process.hrtime.bigint() + 200n * ms);
    // measured from the instant the deadline was set, not from after it: on a loaded machine the gap is milliseconds
    const set = process.hrtime.bigint();
    const sooner = TimerPollable.at(set + 30n * ms);
    expect(sooner.ready()).toBe(false);
    expect([...poll([later, sooner])]).toEqual([1]);
    const awoke = process.hrtime.bigint();
    expect(awoke - set).toBeGreaterThanOrEqual(30n * ms);
    expect(later.ready()).toBe(false);
    expect(sooner.ready()).toBe(true);
    later.block();
    expect(later.ready()).toBe(true);
    expect([...poll([TimerPollable.ready(), later])]).toEqual([0, 1]);
  });

  it('reads a file stream to its end, then says closed; a failed read carries its errno for filesystem-error-code', async () => {
    await writeFile(join(dir, 'data.txt'), 'abcdef');
    const fd = openSync(join(dir, 'data.txt'), 'r');
    const stream = SyncInputStream.of(fileSource(fd, 2n));
    expect(new TextDecoder().decode(stream.read(3n))).toBe('cde');
    expect(new TextDecoder().decode(stream.blockingRead(100n))).toBe('f');
    expect(thrownBy(() => stream.read(1n))).toEqual({ tag: 'closed' });
    expect(thrownBy(() => SyncInputStream.empty().read(1n))).toEqual({ tag: 'closed' });
    closeSync(fd);
    const failed = thrownBy(() => SyncInputStream.of(fileSource(fd, 0n)).read(1n)) as { tag: string; val: IoError };
    expect(failed.tag).toBe('last-operation-failed');
    expect(failed.val.toDebugString()).toMatch(/EBADF/);
    expect(createFiles([]).types.filesystemErrorCode(failed.val)).toBe('bad-descriptor');
  });

  it("gives the engine no environment, no stdin, randomness, clocks, stdout and stderr into the log, and a trap for exit", () => {
    const lines: ManagerLogEntry[] = [];
    const engine = createEngineImports((entry) => lines.push(entry)) as Record<string, Record<string, (...args: unknown[]) => unknown>>;
    expect(engine['wasi:cli/environment']!.getEnvironment!()).toEqual([]);
    expect(engine['wasi:cli/environment']!.getArguments!()).toEqual([]);
    expect(thrownBy(() => (engine['wasi:cli/stdin']!.getStdin!() as SyncInputStream).read(1n))).toEqual({ tag: 'closed' });
    const stdout = engine['wasi:cli/stdout']!.getStdout!() as { write(bytes: Uint8Array): void };
    stdout.write(new TextEncoder().encode('one\ntw'));
    stdout.write(new TextEncoder().encode('o\n'));
    expect(lines).toEqual([
      { level: 'info', context: 'stdout', message: 'one' },
      { level: 'info', context: 'stdout', message: 'two' },
    ]);
    const bytes = engine['wasi:random/random']!.getRandomBytes!(32n) as Uint8Array;
    expect(bytes).toHaveLength(32);
    expect(bytes.some((byte) => byte !== 0)).toBe(true);
    const before = engine['wasi:clocks/monotonic-clock']!.now!() as bigint;
    expect((engine['wasi:clocks/monotonic-clock']!.now!() as bigint) >= before).toBe(true);
    const wall = engine['wasi:clocks/wall-clock']!.now!() as { seconds: bigint };
    expect(Math.abs(Number(wall.seconds) - Date.now() / 1000)).toBeLessThan(5);
    expect(thrownBy(() => engine['wasi:cli/exit']!.exit!({ tag: 'ok' }))).toBeInstanceOf(Error);
  });
});
