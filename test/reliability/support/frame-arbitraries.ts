import fc from 'fast-check';
import { ALL_OPERATIONS } from '../../../datastores/sdk/operations.js';
import type { WireFrame } from './frame-rules.js';

/**
 * Generated frames for either end of the guest channel: broken text, JSON of
 * every wrong shape, near-valid requests, notifications and responses with
 * one thing wrong, wire values, deep nesting and binary frames. Which answer
 * each deserves is decided by frame-rules.ts, not here.
 */

const text = (value: string): WireFrame => ({ kind: 'text', text: value });
const json = (value: unknown): WireFrame => text(JSON.stringify(value));

const smallJson = fc.jsonValue({ maxDepth: 3 });
/** Strings of every kind: ASCII, any code point (lone surrogates included), and long ones. */
const anyString = fc.oneof(
  { arbitrary: fc.string({ maxLength: 40 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 1 },
  { arbitrary: fc.integer({ min: 100, max: 5000 }).map((n) => 'x'.repeat(n)), weight: 1 },
);

/** Berth's wire encodings of bigint and bytes, well-formed and not (a $bigint past 20 digits is not one). */
const wireValue = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }).map((n) => ({ $bigint: n.toString() })),
  fc.oneof({ arbitrary: fc.integer({ min: 21, max: 40 }), weight: 30 }, { arbitrary: fc.integer({ min: 100_000, max: 300_000 }), weight: 1 }).map((digits) => ({ $bigint: '9'.repeat(digits) })),
  fc.constantFrom({ $bigint: '' }, { $bigint: '12a' }, { $bigint: 12 }, { $bigint: '1', extra: true }),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ $bytes: Buffer.from(bytes).toString('base64') })),
  fc.constantFrom({ $bytes: '***' }, { $bytes: null }, { $bytes: 'QUJD' }),
);
const jsonish = fc.oneof({ arbitrary: smallJson, weight: 5 }, { arbitrary: wireValue, weight: 1 });

/** Ids: valid ones from a small pool (so ids are replayed), and every kind of invalid one. */
const validId = fc.oneof(
  { arbitrary: fc.constantFrom<string | number>(1, 2, 0, -1, 'replayed', 'a'), weight: 3 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.string({ minLength: 1, maxLength: 128 }), weight: 1 },
);
const invalidId = fc.oneof(
  fc.constantFrom<unknown>('', null, true, false, 1.5, -0.25, 2 ** 60, [], [1], {}, { a: 1 }, { $bigint: '5' }),
  fc.integer({ min: 129, max: 400 }).map((n) => 'i'.repeat(n)),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isSafeInteger(n)),
  smallJson.filter((v) => typeof v === 'object'),
);
const anyId = fc.oneof({ arbitrary: validId, weight: 4 }, { arbitrary: invalidId, weight: 1 });

const jsonrpc = fc.oneof(
  { arbitrary: fc.constant<unknown>('2.0'), weight: 8 },
  { arbitrary: fc.constantFrom<unknown>('1.0', '2', 2, 2.0, '2.0 ', '', null, ['2.0'], { v: '2.0' }), weight: 1 },
);

const methodName = fc.oneof(
  { arbitrary: fc.constantFrom('guest.hello', 'guest.call', 'guest.ping', 'guest.source-reachable', 'guest.heartbeat', 'guest.event'), weight: 6 },
  { arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'guest.', 'guest.shutdown', 'rpc.discover', 'GUEST.PING'), weight: 2 },
  { arbitrary: fc.string({ maxLength: 140 }), weight: 1 },
  { arbitrary: fc.integer({ min: 129, max: 300 }).map((n) => `m${'e'.repeat(n)}`), weight: 1 },
);
const invalidMethod = fc.constantFrom<unknown>('', null, 7, true, [], {}, ['guest.ping']);

const sha256 = fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.constantFrom('', 'A'.repeat(64), 'g'.repeat(64), 'a'.repeat(63)), anyString);
const token = fc.oneof({ arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), weight: 3 }, { arbitrary: anyString, weight: 1 }, { arbitrary: fc.constant(''), weight: 1 });

/** A record with any subset of `fields`, sometimes with an extra member or the wrong type. */
function mutated(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const keys = Object.keys(fields);
  return fc.oneof(
    { arbitrary: fc.record(fields), weight: 4 },
    { arbitrary: fc.record(fields, { requiredKeys: [] }), weight: 2 },
    { arbitrary: fc.tuple(fc.record(fields), fc.string({ maxLength: 12 }), jsonish).map(([record, key, value]) => ({ ...record, [key]: value })), weight: 1 },
    { arbitrary: fc.tuple(fc.record(fields), fc.constantFrom(...keys), jsonish).map(([record, key, value]) => ({ ...record, [key]: value })), weight: 2 },
    { arbitrary: jsonish, weight: 1 },
  );
}

const helloParams = mutated({
  instanceId: fc.oneof(fc.uuid(), anyString),
  token,
  hostVersion: fc.oneof(fc.constant('0.1.0'), anyString),
  manifest: jsonish,
  sha256,
});
const callParams = mutated({
  operation: fc.oneof({ arbitrary: fc.constantFrom(...ALL_OPERATIONS), weight: 4 }, { arbitrary: anyString, weight: 1 }),
  args: fc.oneof({ arbitrary: fc.array(jsonish, { maxLength: 4 }), weight: 4 }, { arbitrary: jsonish, weight: 1 }),
  deadlineMs: fc.oneof(fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: -10, max: 0 }), fc.double(), anyString),
});
const reachParams = mutated({ timeoutMs: fc.oneof(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: -10, max: 0 }), fc.constantFrom<unknown>(60_001, 1.5, '100', null)) });
const pingParams = fc.constantFrom<unknown>(undefined, {}, { extra: 1 }, [], null, 'x', 0);
const castStatus = fc.constantFrom('new', 'building', 'running', 'healthy', 'shutdown', 'crashed', 'failed', 'blocked', 'paused', 'restart-required', 'unknown', 'RUNNING', '', 'exploded');
/** Cast times: now-ish, the epoch, and times a Date cannot hold. */
const sentAt = fc.oneof(
  fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }),
  fc.constantFrom<unknown>(0, -1, 1.5, 8.64e15, 8.64e15 + 1, 1e300, Number.MAX_SAFE_INTEGER, '2024-01-01'),
);
const seq = fc.oneof(fc.nat(), fc.constantFrom<unknown>(-1, 0.5, 2 ** 60, '1', null));
const heartbeatParams = mutated({ seq, sentAt, status: castStatus, detail: fc.oneof(anyString, smallJson) });
const eventParams = mutated({ seq, sentAt, event: jsonish });

/** [method, params] pairs whose params belong to the method, and random ones. */
const methodAndParams: fc.Arbitrary<[unknown, unknown]> = fc.oneof(
  fc.tuple(fc.constant('guest.hello'), helloParams),
  fc.tuple(fc.constant('guest.call'), callParams),
  fc.tuple(fc.constant('guest.ping'), pingParams),
  fc.tuple(fc.constant('guest.source-reachable'), reachParams),
  fc.tuple(fc.constant('guest.heartbeat'), heartbeatParams),
  fc.tuple(fc.constant('guest.event'), eventParams),
  fc.tuple(methodName, fc.oneof(fc.constant(undefined), jsonish)),
  fc.tuple(invalidMethod, jsonish),
);

/** A member added, or one of the frame's own set to a wrong value. */
function withNoise(frame: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    { arbitrary: frame, weight: 6 },
    { arbitrary: fc.tuple(frame, fc.constantFrom('result', 'error', 'params', 'extra', 'Method', '__proto__'), jsonish).map(([f, key, value]) => ({ ...f, [key]: value })), weight: 1 },
  );
}

/** The version member, absent now and then. */
const version = fc.option(jsonrpc, { nil: undefined, freq: 12 }).map((value) => (value === undefined ? {} : { jsonrpc: value }));
const request = withNoise(
  fc.tuple(version, anyId, methodAndParams).map(([v, id, [method, params]]) => ({ ...v, id, method, ...(params === undefined ? {} : { params }) })),
);
const notification = withNoise(fc.tuple(version, methodAndParams).map(([v, [method, params]]) => ({ ...v, method, ...(params === undefined ? {} : { params }) })));
const errorObject = fc.oneof(
  fc.record({ code: fc.integer({ min: -32800, max: -31000 }), message: anyString, data: fc.option(fc.record({ code: fc.constantFrom('BERTH_ERR_RPC_REMOTE', 'NOT_A_CODE') }), { nil: undefined }) }, { requiredKeys: ['code', 'message'] }),
  jsonish,
);
const response = withNoise(
  fc.oneof(
    fc.record({ jsonrpc, id: fc.oneof(anyId, fc.constant(null)), result: jsonish }),
    fc.record({ jsonrpc, id: fc.oneof(anyId, fc.constant(null)), error: errorObject }),
    fc.record({ jsonrpc, id: anyId, result: jsonish, error: errorObject }),
  ),
);
const otherObject = fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), jsonish, { maxKeys: 5 }), fc.record({ jsonrpc, id: anyId }, { requiredKeys: [] }));

const structured = fc.oneof(
  { arbitrary: request, weight: 8 },
  { arbitrary: notification, weight: 4 },
  { arbitrary: response, weight: 2 },
  { arbitrary: otherObject, weight: 1 },
);

/** Text that is not JSON, or barely: cut, spliced, BOM-prefixed, random. */
const brokenText = fc.oneof(
  fc.tuple(structured, fc.nat()).map(([value, at]) => {
    const whole = JSON.stringify(value);
    return whole.slice(0, whole.length === 0 ? 0 : at % whole.length);
  }),
  fc.tuple(structured, fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([value, at, junk]) => {
    const whole = JSON.stringify(value);
    const cut = at % (whole.length + 1);
    return whole.slice(0, cut) + junk + whole.slice(cut);
  }),
  structured.map((value) => `\uFEFF${JSON.stringify(value)}`),
  fc.constantFrom('', ' ', 'null', 'undefined', 'NaN', '{', '}', '[', '{"jsonrpc":"2.0",}', "{'jsonrpc':'2.0'}", '{"id":1,"id":2,"method":"guest.ping","jsonrpc":"2.0"}'),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

/** Nesting a parser either takes easily or cannot take at all (nothing near the stack's edge); the deepest are rare, they are large. */
const depth = fc.oneof({ arbitrary: fc.constant(200), weight: 30 }, { arbitrary: fc.constant(100_000), weight: 1 });
const deep = fc.tuple(depth, fc.constantFrom('array', 'object', 'params')).map(([depth, shape]) => {
  if (shape === 'array') return `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return shape === 'object' ? nested : `{"jsonrpc":"2.0","id":"deep","method":"guest.ping","params":${nested}}`;
});

const notAnObject = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 20 }), fc.boolean(), fc.constant(null), fc.array(structured, { maxLength: 3 }));

/** Any frame a hostile or broken peer might send. */
export const anyFrame: fc.Arbitrary<WireFrame> = fc.oneof(
  { arbitrary: structured.map(json), weight: 20 },
  { arbitrary: brokenText.map(text), weight: 4 },
  { arbitrary: notAnObject.map(json), weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 256 }).map((bytes): WireFrame => ({ kind: 'binary', bytes })), weight: 1 },
  { arbitrary: deep.map(text), weight: 1 },
);

/** Frames a few bytes either side of `limit`: a request for an unknown method padded to size. */
export function framesNear(limit: number): WireFrame[] {
  const frame = (size: number, id: string) => {
    const empty = JSON.stringify({ jsonrpc: '2.0', id, method: 'guest.padded', params: { pad: '' } });
    return text(JSON.stringify({ jsonrpc: '2.0', id, method: 'guest.padded', params: { pad: 'p'.repeat(size - empty.length) } }));
  };
  return [frame(limit - 1, 'near-1'), frame(limit, 'at-limit'), frame(limit + 1, 'over-1'), frame(limit + 4096, 'over-4k'), { kind: 'binary', bytes: new Uint8Array(limit + 1) }];
}

/** A request to no method at all: answered Method not found, in order, so it marks the end of a batch. */
export function sentinel(id: string): WireFrame {
  return json({ jsonrpc: '2.0', id, method: 'berth.sentinel' });
}
