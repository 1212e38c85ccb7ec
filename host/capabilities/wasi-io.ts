import { readSync, writeSync } from 'node:fs';
import type * as ErrorTypes from '../generated/interfaces/wasi-io-error.js';
import type * as PollTypes from '../generated/interfaces/wasi-io-poll.js';
import type * as StreamTypes from '../generated/interfaces/wasi-io-streams.js';

/**
 * wasi:io (error, poll, streams) done on the manager's own thread with
 * Node's synchronous calls, for the streams Berth hands a manager: files
 * (files-descriptor.ts) and the engine's stdio (engine.ts). Nothing here
 * needs another thread, so a sandbox worker runs none besides its own.
 */

/** Bytes a stream reads at most per call when the manager asks for more. */
const MAX_READ = 1 << 20;
/** What checkWrite allows: writes are synchronous, so any size would do; this bounds one copy. */
const WRITE_BUDGET = 1n << 20n;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** wasi:io/error's error: what the last operation of a stream failed with. */
export class IoError implements ErrorTypes.Error {
  readonly #message: string;
  /** The errno name the failure carried (EBADF, ENOSPC), which filesystem-error-code turns into a wasi code. */
  readonly code: string | undefined;

  private constructor(message: string, code: string | undefined) {
    this.#message = message;
    this.code = code;
  }

  static of(message: string, code?: string): IoError {
    return new IoError(message, code);
  }

  toDebugString(): string {
    return this.#message;
  }
}

/**
 * wasi:io/poll's pollable: ready now (every stream here: their calls never
 * wait on another thread), or at a monotonic-clock instant (ns), in which
 * case `block` sleeps the manager's thread until then.
 */
export class TimerPollable implements PollTypes.Pollable {
  readonly #at: bigint | undefined;

  private constructor(at: bigint | undefined) {
    this.#at = at;
  }

  static ready(): TimerPollable {
    return new TimerPollable(undefined);
  }

  static at(instant: bigint): TimerPollable {
    return new TimerPollable(instant);
  }

  ready(): boolean {
    return this.#at === undefined || process.hrtime.bigint() >= this.#at;
  }

  block(): void {
    if (this.#at === undefined) return;
    for (let left = this.#at - process.hrtime.bigint(); left > 0n; left = this.#at - process.hrtime.bigint()) {
      Atomics.wait(sleeper, 0, 0, Math.max(1, Math.ceil(Number(left) / 1e6)));
    }
  }

  /** ns until ready (0 when ready). */
  left(): bigint {
    if (this.#at === undefined) return 0n;
    const left = this.#at - process.hrtime.bigint();
    return left > 0n ? left : 0n;
  }
}

/** wasi:io/poll's poll: the indices of the ready ones, after sleeping until the first is. */
export function poll(pollables: PollTypes.Pollable[]): Uint32Array {
  if (pollables.length === 0) throw new RangeError('poll of no pollables');
  const timers = pollables.map((pollable) => {
    if (!(pollable instanceof TimerPollable)) throw new TypeError('not a pollable of this host');
    return pollable;
  });
  let soonest = timers[0]!;
  for (const timer of timers) if (timer.left() < soonest.left()) soonest = timer;
  soonest.block();
  const ready: number[] = [];
  timers.forEach((timer, index) => timer.ready() && ready.push(index));
  return Uint32Array.from(ready);
}

/** Where an input stream's bytes come from: up to `max` bytes, or undefined at the end. */
export type ByteSource = (max: number) => Uint8Array | undefined;
/** Where an output stream's bytes go, all of them. */
export type ByteSink = (bytes: Uint8Array) => void;

/** A failure of a stream's source or sink, as the stream-error the manager sees. */
function streamError(thrown: unknown): StreamTypes.StreamError {
  const code = (thrown as { code?: unknown } | null)?.code;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return { tag: 'last-operation-failed', val: IoError.of(message, typeof code === 'string' ? code : undefined) };
}

export class SyncInputStream implements StreamTypes.InputStream {
  #source: ByteSource | undefined;

  private constructor(source: ByteSource | undefined) {
    this.#source = source;
  }

  static of(source: ByteSource): SyncInputStream {
    return new SyncInputStream(source);
  }

  /** A stream at its end from the start (stdin). */
  static empty(): SyncInputStream {
    return new SyncInputStream(undefined);
  }

  read(len: bigint): Uint8Array {
    if (!this.#source) throw { tag: 'closed' } satisfies StreamTypes.StreamError;
    if (len === 0n) return new Uint8Array(0);
    let chunk: Uint8Array | undefined;
    try {
      chunk = this.#source(Number(len < BigInt(MAX_READ) ? len : BigInt(MAX_READ)));
    } catch (thrown) {
      throw streamError(thrown);
    }
    if (chunk === undefined) {
      this.#source = undefined;
      throw { tag: 'closed' } satisfies StreamTypes.StreamError;
    }
    return chunk;
  }

  blockingRead(len: bigint): Uint8Array {
    return this.read(len);
  }

  skip(len: bigint): bigint {
    return BigInt(this.read(len).length);
  }

  blockingSkip(len: bigint): bigint {
    return this.skip(len);
  }

  subscribe(): PollTypes.Pollable {
    return TimerPollable.ready();
  }
}

export class SyncOutputStream implements StreamTypes.OutputStream {
  readonly #sink: ByteSink;

  private constructor(sink: ByteSink) {
    this.#sink = sink;
  }

  static of(sink: ByteSink): SyncOutputStream {
    return new SyncOutputStream(sink);
  }

  checkWrite(): bigint {
    return WRITE_BUDGET;
  }

  write(contents: Uint8Array): void {
    try {
      this.#sink(contents);
    } catch (thrown) {
      throw streamError(thrown);
    }
  }

  blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents);
  }

  flush(): void {}

  blockingFlush(): void {}

  subscribe(): PollTypes.Pollable {
    return TimerPollable.ready();
  }

  writeZeroes(len: bigint): void {
    this.write(new Uint8Array(Number(len)));
  }

  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
  }

  splice(src: StreamTypes.InputStream, len: bigint): bigint {
    const chunk = src.read(len);
    this.write(chunk);
    return BigInt(chunk.length);
  }

  blockingSplice(src: StreamTypes.InputStream, len: bigint): bigint {
    return this.splice(src, len);
  }
}

/** Reads of the open file `fd` from `offset` on, each at its own position (pread): the descriptor's other users are not moved. */
export function fileSource(fd: number, offset: bigint): ByteSource {
  let position = offset;
  return (max) => {
    const buffer = new Uint8Array(max);
    const count = readSync(fd, buffer, 0, max, position);
    if (count === 0) return undefined;
    position += BigInt(count);
    return buffer.subarray(0, count);
  };
}

/** Writes to the open file `fd` from `offset` on (pwrite), all of each chunk. */
export function fileSink(fd: number, offset: bigint): ByteSink {
  let position = Number(offset);
  return (bytes) => {
    for (let done = 0; done < bytes.length; ) {
      const count = writeSync(fd, bytes, done, bytes.length - done, position);
      done += count;
      position += count;
    }
  };
}

/** The interfaces as jco's glue takes them. */
export function createIoImports() {
  return {
    error: { Error: IoError } as unknown as typeof ErrorTypes,
    poll: { Pollable: TimerPollable, poll } as unknown as typeof PollTypes,
    streams: { InputStream: SyncInputStream, OutputStream: SyncOutputStream } as unknown as typeof StreamTypes,
  };
}
