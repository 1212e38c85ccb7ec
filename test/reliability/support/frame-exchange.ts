import { randomUUID } from 'node:crypto';
import type WebSocket from 'ws';
import { RPC_ERRORS } from '../../../host/rpc/protocol.js';
import { clip } from './fc-settings.js';
import { sentinel } from './frame-arbitraries.js';
import { expectedAnswer, type Expected, type Side, type WireFrame } from './frame-rules.js';

/** A frame the peer sent back, read loosely: the test checks its shape. */
export interface Answer {
  jsonrpc?: unknown;
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown; data?: { code?: unknown } };
}

const REFUSAL_CODES = new Set<unknown>([RPC_ERRORS.PARSE_ERROR, RPC_ERRORS.INVALID_REQUEST, RPC_ERRORS.METHOD_NOT_FOUND, RPC_ERRORS.INVALID_PARAMS]);
/** An answer given at once by the peer's frame checks (as opposed to a method's own answer). */
export const isRefusal = (answer: Answer): boolean => answer.error !== undefined && REFUSAL_CODES.has(answer.error.code);

/** Everything one socket receives: answers to what was sent, and the peer's own requests and casts. */
export class FrameCollector {
  readonly answers: Answer[] = [];
  readonly own: Array<{ method: string; id?: unknown; params?: unknown }> = [];
  readonly problems: string[] = [];
  closed: { code: number; reason: string } | undefined;
  /** Called with each request or cast of the peer's own (a host's hello, its heartbeats). */
  onOwnFrame: ((frame: FrameCollector['own'][number]) => void) | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      const raw = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      let frame: unknown;
      try {
        frame = isBinary ? undefined : JSON.parse(raw.toString('utf8'));
      } catch {
        frame = undefined;
      }
      if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) this.problems.push(`the peer sent a frame that is not a JSON object: ${clip(raw.toString('utf8'))}`);
      else if ('method' in frame) {
        this.own.push(frame as FrameCollector['own'][number]);
        this.onOwnFrame?.(frame as FrameCollector['own'][number]);
      }
      else this.answers.push(frame as Answer);
      this.listeners.forEach((listener) => listener());
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.listeners.forEach((listener) => listener());
    });
  }

  /** Resolves when `done` holds; rejects if the socket closes first or after `timeoutMs`. */
  until(done: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done()) return finish(resolve);
        if (this.closed) finish(() => reject(new Error(`the connection closed (${this.closed!.code} ${this.closed!.reason}) while waiting for ${what}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for ${what}`))), timeoutMs);
      const finish = (then: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        then();
      };
      this.listeners.add(check);
      check();
    });
  }
}

export function sendFrame(socket: WebSocket, frame: WireFrame): void {
  if (frame.kind === 'binary') socket.send(frame.bytes, { binary: true });
  else socket.send(frame.text);
}

const describeFrame = (frame: WireFrame) => (frame.kind === 'binary' ? `<binary ${frame.bytes.length} bytes>` : clip(JSON.stringify(frame.text)));
const describeAnswer = (answer: Answer | undefined) => (answer === undefined ? 'nothing' : clip(JSON.stringify(answer), 300));

/** Checks a served request's answer; returns what is wrong with it, or undefined. */
export type ServedCheck = (answer: Answer, expected: Extract<Expected, { answer: 'served' }>) => string | undefined;

/**
 * Sends `frames` on one connection, then a sentinel, and checks every answer
 * against the protocol's rules: refusals exactly as expected and in order
 * (none for frames that deserve none), served requests answered by id.
 * Returns the list of violations (empty when every rule held).
 */
export async function exchange(collector: FrameCollector, frames: WireFrame[], side: Side, checkServed: ServedCheck): Promise<string[]> {
  const start = collector.answers.length;
  const expected = frames.map((frame) => expectedAnswer(frame, side));
  const end = `end-${randomUUID()}`;
  for (const frame of frames) sendFrame(collector.socket, frame);
  sendFrame(collector.socket, sentinel(end));

  const served = expected.flatMap((e) => (e.answer === 'served' ? [e] : []));
  const answersSince = () => collector.answers.slice(start);
  await collector.until(() => answersSince().some((a) => a.id === end), `the sentinel ${end}`);
  await collector.until(() => answersSince().filter((a) => !isRefusal(a)).length >= served.length, `${served.length} served answers`);

  const problems: string[] = [...collector.problems.splice(0)];
  const answers = answersSince();
  const refusals = answers.filter(isRefusal);
  const wanted = expected.flatMap((e, index) => (e.answer === 'refused' ? [{ index, code: e.code, id: e.id }] : []));
  wanted.push({ index: frames.length, code: RPC_ERRORS.METHOD_NOT_FOUND, id: end });
  for (let i = 0; i < Math.max(wanted.length, refusals.length); i++) {
    const want = wanted[i];
    const got = refusals[i];
    if (want && got && got.error?.code === want.code && got.id === want.id) continue;
    const frame = want && want.index < frames.length ? describeFrame(frames[want.index]!) : 'the sentinel';
    problems.push(
      want
        ? `frame ${want.index} ${frame}: expected error ${want.code} with id ${JSON.stringify(want.id)}, got ${describeAnswer(got)}`
        : `an answer no frame called for: ${describeAnswer(got)}`,
    );
    break; // answers are matched in order: after the first difference the rest says nothing new
  }

  const others = answers.filter((a) => !isRefusal(a));
  for (const want of served) {
    const index = others.findIndex((a) => a.id === want.id);
    if (index === -1) {
      problems.push(`served ${want.method} ${JSON.stringify(want.id)} was not answered`);
      continue;
    }
    const wrong = checkServed(others.splice(index, 1)[0]!, want);
    if (wrong) problems.push(`served ${want.method} ${JSON.stringify(want.id)}: ${wrong}`);
  }
  for (const extra of others) problems.push(`an answer no frame called for: ${describeAnswer(extra)}`);
  return problems;
}
