import { randomBytes, randomFillSync } from 'node:crypto';
import type { EngineImports } from '../component/instantiate.js';
import type { ManagerLogEntry } from './logging.js';
import { createIoImports, SyncInputStream, SyncOutputStream, TimerPollable } from './wasi-io.js';

type Datetime = { seconds: bigint; nanoseconds: number };

/** wasi:clocks/wall-clock, in ns from the epoch. */
export const wallClock = {
  now: (): Datetime => {
    const ns = BigInt(Date.now()) * 1_000_000n;
    return { seconds: ns / 1_000_000_000n, nanoseconds: Number(ns % 1_000_000_000n) };
  },
  resolution: (): Datetime => ({ seconds: 0n, nanoseconds: 1_000_000 }),
};

/**
 * The monotonic clock's `now`, which StarlingMonkey reads about seven times
 * a call. jco's hybrid bindings take a core function from an import's
 * `Symbol.for('cabiLower')` and call it with no lowering in between (no task
 * or subtask per call): for `() -> u64` that is a function returning a
 * bigint. Without it a StarlingMonkey call cost 34-42 us instead of 18-26.
 */
function monotonicNow(): bigint {
  return process.hrtime.bigint();
}
(monotonicNow as unknown as Record<symbol, unknown>)[Symbol.for('cabiLower')] = () => monotonicNow;

/** The manager ended itself (wasi:cli/exit): a trap, so the sandbox replaces the instance and the call fails. */
class ManagerExit extends Error {
  override readonly name = 'ManagerExit';
}

/** wasi:cli's terminals: a manager has none, so these are never handed out, but the glue wants the classes. */
class NoTerminal {
  private constructor() {}
}

/**
 * Lines a JS engine writes to stdout or stderr (console.log in a manager)
 * go to the operator's log, one entry per line, tagged with the stream.
 */
function lineSink(stream: 'stdout' | 'stderr', log: (entry: ManagerLogEntry) => void) {
  const decoder = new TextDecoder();
  const level = stream === 'stdout' ? 'info' : 'warn';
  let pending = '';
  return (bytes: Uint8Array) => {
    pending += decoder.decode(bytes, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) log({ level, context: stream, message: line });
    // a line that never ends must not grow without bound
    if (pending.length > 8192) {
      log({ level, context: stream, message: pending });
      pending = '';
    }
  };
}

/**
 * What the JS engines inside a component import for themselves: clocks,
 * randomness, streams and stdio, all on the manager's own thread (no I/O
 * thread behind them). The environment, arguments and working directory
 * are empty and stdin is at its end, so that nothing of the host's leaks in;
 * stdout and stderr go to `log`.
 */
export function createEngineImports(log: (entry: ManagerLogEntry) => void = () => undefined): EngineImports {
  const io = createIoImports();
  const stdin = SyncInputStream.empty();
  const stdout = SyncOutputStream.of(lineSink('stdout', log));
  const stderr = SyncOutputStream.of(lineSink('stderr', log));
  return {
    'wasi:cli/environment': {
      getEnvironment: (): Array<[string, string]> => [],
      getArguments: (): string[] => [],
      initialCwd: (): string | undefined => undefined,
    },
    'wasi:cli/exit': {
      exit: (status: { tag: 'ok' | 'err' }): never => {
        throw new ManagerExit(`the manager exited (${status.tag === 'ok' ? 'success' : 'failure'})`);
      },
    },
    'wasi:cli/stdin': { getStdin: () => stdin },
    'wasi:cli/stdout': { getStdout: () => stdout },
    'wasi:cli/stderr': { getStderr: () => stderr },
    'wasi:cli/terminal-input': { TerminalInput: NoTerminal },
    'wasi:cli/terminal-output': { TerminalOutput: NoTerminal },
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
    'wasi:clocks/monotonic-clock': {
      now: monotonicNow,
      resolution: (): bigint => 1n,
      subscribeInstant: (when: bigint) => TimerPollable.at(when),
      subscribeDuration: (duration: bigint) => TimerPollable.at(process.hrtime.bigint() + duration),
    },
    'wasi:clocks/wall-clock': wallClock,
    'wasi:io/error': io.error,
    'wasi:io/poll': io.poll,
    'wasi:io/streams': io.streams,
    'wasi:random/random': {
      getRandomBytes: (len: bigint): Uint8Array => randomFillSync(new Uint8Array(Number(len))),
      getRandomU64: (): bigint => randomBytes(8).readBigUInt64LE(),
    },
    'wasi:random/insecure': {
      getInsecureRandomBytes: (len: bigint): Uint8Array => randomFillSync(new Uint8Array(Number(len))),
      getInsecureRandomU64: (): bigint => randomBytes(8).readBigUInt64LE(),
    },
    'wasi:random/insecure-seed': {
      insecureSeed: (): [bigint, bigint] => {
        const seed = randomBytes(16);
        return [seed.readBigUInt64LE(0), seed.readBigUInt64LE(8)];
      },
    },
  };
}
