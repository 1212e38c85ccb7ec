import { encodeWire, reviveWire } from '../rpc/wire-values.js';
import type { CallOutcome, ToWorker } from './spec.js';

/**
 * Calls and their results between a lane and its worker through shared
 * memory instead of postMessage. A message port round trip costs two
 * structured clones and two event-loop wake-ups (20-25 us here; 80 us when the
 * worker's core was idle), most of a quick call. Here each side writes JSON
 * into its half of a SharedArrayBuffer, publishes it with a sequence number
 * and wakes the other with Atomics.notify; each side also spins a few
 * microseconds for the other's answer before it parks, so calls that follow
 * each other closely never sleep at all. What does not fit, and everything
 * that is not a call or its result, still goes by message.
 */

/** Int32 slots at the start of the buffer. */
const REQUEST_SEQ = 0;
const REQUEST_LENGTH = 1;
const RESPONSE_SEQ = 2;
const RESPONSE_LENGTH = 3;
const RESPONSE_KIND = 4;
/** How long the call itself ran in the worker, us: the lane decides from it whether spinning for the next answer pays. */
const RESPONSE_RUN_MICROS = 5;
const HEADER_BYTES = 64;

/** RESPONSE_KIND: the outcome is in the buffer, or the answer (result or trap) comes as a message. */
const IN_BUFFER = 1;
const BY_MESSAGE = 2;

/** 64 KiB each way: a quick call's arguments and results are far smaller; a larger one goes by message. */
export const CALL_CHANNEL_BYTES = HEADER_BYTES + 2 * 64 * 1024;

export type ChannelRequest = Omit<Extract<ToWorker, { kind: 'call' }>, 'kind'>;

/** `runMicros`: how long the call ran in the worker. 'message': the answer (result or trap) comes as a message. */
export type ChannelAnswer = ({ kind: 'result'; outcome: CallOutcome } | { kind: 'message' }) & { runMicros: number };

const encoder = new TextEncoder();

const PLAIN = 0;
const WIRE = 1;
const MESSAGE_ONLY = 2;

/**
 * How a value crosses: as plain JSON; through the wire encoding when it holds
 * bigints or bytes; or only by message (structured clone) when JSON would
 * change it: undefined or a non-finite number in a list, a Map, a Date.
 */
function classify(value: unknown, depth = 0): number {
  if (typeof value === 'bigint' || value instanceof Uint8Array) return WIRE;
  if (typeof value === 'number') return Number.isFinite(value) ? PLAIN : MESSAGE_ONLY;
  if (value === null || typeof value !== 'object') return PLAIN;
  if (depth > 32) return MESSAGE_ONLY;
  let kind = PLAIN;
  if (Array.isArray(value)) {
    for (const item of value) {
      const itemKind = item === undefined ? MESSAGE_ONLY : classify(item, depth + 1);
      if (itemKind === MESSAGE_ONLY) return MESSAGE_ONLY;
      if (itemKind > kind) kind = itemKind;
    }
    return kind;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return MESSAGE_ONLY;
  for (const field of Object.values(value)) {
    const fieldKind = classify(field, depth + 1);
    if (fieldKind === MESSAGE_ONLY) return MESSAGE_ONLY;
    if (fieldKind > kind) kind = fieldKind;
  }
  return kind;
}

/** The value as UTF-8 JSON into `region`; its length (negative: wire-encoded), or undefined when it cannot go this way. */
function write(region: Uint8Array, value: unknown): number | undefined {
  const kind = classify(value);
  if (kind === MESSAGE_ONLY) return undefined;
  const text = kind === WIRE ? encodeWire(value) : JSON.stringify(value);
  // UTF-8 takes at most 3 bytes per UTF-16 unit: most texts are known to fit without encoding them first
  if (text.length * 3 > region.length && Buffer.byteLength(text) > region.length) return undefined;
  const { read, written } = encoder.encodeInto(text, region);
  if (read !== text.length) return undefined;
  return kind === WIRE ? -written : written;
}

function read(region: Uint8Array, length: number): unknown {
  const text = Buffer.from(region.buffer, region.byteOffset, Math.abs(length)).toString('utf8');
  return length < 0 ? JSON.parse(text, reviveWire) : JSON.parse(text);
}

/** Spin until `done()` or `micros` pass; true if done. */
function spinUntil(done: () => boolean, micros: number): boolean {
  if (done()) return true;
  if (micros <= 0) return false;
  const until = performance.now() + micros / 1000;
  do {
    if (done()) return true;
  } while (performance.now() < until);
  return false;
}

class Halves {
  readonly control: Int32Array;
  readonly requests: Uint8Array;
  readonly responses: Uint8Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    const half = (buffer.byteLength - HEADER_BYTES) / 2;
    this.control = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.requests = new Uint8Array(buffer, HEADER_BYTES, half);
    this.responses = new Uint8Array(buffer, HEADER_BYTES + half, half);
  }
}

/** The lane's end: sends one call at a time and collects its answer. */
export class CallChannelCaller extends Halves {
  private seq = 0;

  constructor(bytes = CALL_CHANNEL_BYTES) {
    super(new SharedArrayBuffer(bytes));
  }

  /** Publish a call; false when it does not fit (send it by message instead). */
  send(request: ChannelRequest): boolean {
    const length = write(this.requests, request);
    if (length === undefined) return false;
    this.control[REQUEST_LENGTH] = length;
    Atomics.store(this.control, REQUEST_SEQ, ++this.seq);
    Atomics.notify(this.control, REQUEST_SEQ);
    return true;
  }

  private answered(): boolean {
    return this.seq > 0 && Atomics.load(this.control, RESPONSE_SEQ) === this.seq;
  }

  /** The answer to the last call sent, if it arrives within `spinMicros`. */
  poll(spinMicros: number): ChannelAnswer | undefined {
    if (!spinUntil(() => this.answered(), spinMicros)) return undefined;
    const runMicros = this.control[RESPONSE_RUN_MICROS]!;
    if (this.control[RESPONSE_KIND] === BY_MESSAGE) return { kind: 'message', runMicros };
    const [side, ...value] = read(this.responses, this.control[RESPONSE_LENGTH]!) as ['ok' | 'err', unknown?];
    // a list, not a record: an ok of undefined (a void operation) keeps its key
    return { kind: 'result', outcome: (side === 'ok' ? { ok: value[0] } : { err: value[0] }) as CallOutcome, runMicros };
  }

  /** Resolves when the worker answers the last call, or when release() gives up on it. */
  async whenAnswered(): Promise<void> {
    const current = Atomics.load(this.control, RESPONSE_SEQ);
    if (current === this.seq) return;
    const waiting = Atomics.waitAsync(this.control, RESPONSE_SEQ, current);
    if (waiting.async) await waiting.value;
  }

  /** Wake whoever waits in whenAnswered(): the worker is gone and will not answer. */
  release(): void {
    Atomics.notify(this.control, RESPONSE_SEQ);
  }
}

/** The worker's end: takes calls and answers them. */
export class CallChannelCallee extends Halves {
  private seen = 0;

  /** The next call, if one was published since the last one taken. */
  take(): ChannelRequest | undefined {
    const seq = Atomics.load(this.control, REQUEST_SEQ);
    if (seq === this.seen) return undefined;
    this.seen = seq;
    return read(this.requests, this.control[REQUEST_LENGTH]!) as ChannelRequest;
  }

  /** Answer the call taken last, which ran `runMicros`; false when the outcome does not fit (post it, then answeredByMessage()). */
  answer(outcome: CallOutcome, runMicros: number): boolean {
    const [side, value] = 'ok' in outcome ? ['ok', outcome.ok] : ['err', outcome.err];
    const length = write(this.responses, value === undefined ? [side] : [side, value]);
    if (length === undefined) return false;
    this.control[RESPONSE_LENGTH] = length;
    this.publish(IN_BUFFER, runMicros);
    return true;
  }

  /** The answer to the call taken last went by message (a trap, or a result after messages it must follow). */
  answeredByMessage(runMicros: number): void {
    this.publish(BY_MESSAGE, runMicros);
  }

  /** Spin up to `micros` for the next call; true if one is waiting. */
  awaitRequest(micros: number): boolean {
    return spinUntil(() => Atomics.load(this.control, REQUEST_SEQ) !== this.seen, micros);
  }

  /**
   * Resolves when a call is published (at once if one already is). A pending
   * waitAsync does not keep a thread alive: the worker's port listener does.
   */
  async whenRequested(): Promise<void> {
    const waiting = Atomics.waitAsync(this.control, REQUEST_SEQ, this.seen);
    if (waiting.async) await waiting.value;
  }

  private publish(kind: number, runMicros: number): void {
    this.control[RESPONSE_KIND] = kind;
    this.control[RESPONSE_RUN_MICROS] = Math.min(Math.round(runMicros), 2 ** 31 - 1);
    Atomics.store(this.control, RESPONSE_SEQ, this.seen);
    Atomics.notify(this.control, RESPONSE_SEQ);
  }
}
