import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeWire } from '../../../host/rpc/wire-values.js';
import { wireSize } from '../../../host/rpc/wire-size.js';

const encoded = (value: unknown) => Buffer.byteLength(encodeWire(value) ?? '');

/** What WIT values become in JavaScript, and what a JSON frame parses to. */
const wireValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, undefined, true, false, 0, -0, Number.NaN, Number.POSITIVE_INFINITY),
    fc.double(),
    fc.integer(),
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'grapheme' }),
    // lone surrogates and controls, which JSON escapes
    fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'binary' }), tie('value'), { maxKeys: 5 }),
  ),
})).value;

describe('wireSize', () => {
  it('is the byte length of the wire encoding, for any WIT-shaped value', () => {
    fc.assert(
      fc.property(wireValue, (value) => {
        expect(wireSize(value, Number.MAX_SAFE_INTEGER)).toBe(encoded(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('counts the call answers the sandbox posts', () => {
    for (const outcome of [{ ok: undefined }, { ok: { items: [{ name: 'é€😀', characterSet: undefined }], nextMarker: 'm' } }, { err: { tag: 'failed', val: { detail: 'a\nb"\\' } } }, { ok: 12n }, { ok: new Uint8Array(7) }]) {
      expect(wireSize(outcome, Number.MAX_SAFE_INTEGER)).toBe(encoded(outcome));
    }
  });

  it('answers more than the limit, not the size, for a value over it, without walking it all', () => {
    const limit = 1024;
    // each would take long to walk or encode: the measure stops at the limit
    const huge = [
      'x'.repeat(200 * 1024 * 1024),
      { items: new Array(50_000_000) },
      Array.from({ length: 100_000 }, (_, i) => ({ name: `database-${i}` })),
      { ok: new Uint8Array(100 * 1024 * 1024) },
      new Float64Array(10_000_000),
    ];
    for (const value of huge) expect(wireSize(value, limit)).toBeGreaterThan(limit);
  });

  it('agrees with the limit at its edge', () => {
    const value = { ok: 'x'.repeat(100) };
    const size = encoded(value);
    expect(wireSize(value, size)).toBe(size);
    expect(wireSize(value, size - 1)).toBeGreaterThan(size - 1);
  });

  it('ends on a value that refers to itself, and on one nested a million deep, without a stack overflow', () => {
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    expect(wireSize(cycle, 1_000_000)).toBeGreaterThan(1_000_000);
    let deep: unknown[] = [];
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(wireSize(deep, 4 * 1024 * 1024)).toBe(2_000_002);
  });
});
