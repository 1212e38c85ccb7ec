import { describe, expect, it } from 'vitest';
import { decodePlain } from '../../../datastores/sdk/utf8.js';

// QuickJS has no TextDecoder: the SDK's own decoder builds strings a block at a time (a logical
// MySQL restore decodes its whole dump). It must give what the character-at-a-time one gave.

/** The decoder as it was, one code point appended at a time: the reference. */
function reference(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  const continuation = (at: number) => ((bytes[at] ?? 0) & 0xc0) === 0x80;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    let code = 0xfffd;
    let length = 1;
    if (lead < 0x80) code = lead;
    else if (lead >= 0xc2 && lead < 0xe0 && continuation(i + 1)) {
      code = ((lead & 31) << 6) | (bytes[i + 1]! & 63);
      length = 2;
    } else if (lead >= 0xe0 && lead < 0xf0 && continuation(i + 1) && continuation(i + 2)) {
      code = ((lead & 15) << 12) | ((bytes[i + 1]! & 63) << 6) | (bytes[i + 2]! & 63);
      length = 3;
      if (code < 0x800 || (code >= 0xd800 && code < 0xe000)) code = 0xfffd;
    } else if (lead >= 0xf0 && lead < 0xf5 && continuation(i + 1) && continuation(i + 2) && continuation(i + 3)) {
      code = ((lead & 7) << 18) | ((bytes[i + 1]! & 63) << 12) | ((bytes[i + 2]! & 63) << 6) | (bytes[i + 3]! & 63);
      length = 4;
      if (code < 0x10000 || code > 0x10ffff) code = 0xfffd;
    }
    out += String.fromCodePoint(code);
    i += length;
  }
  return out;
}

/** A deterministic generator: the same bytes on every run. */
function bytesOf(seed: number, length: number, pick: (next: () => number) => number): Uint8Array {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Uint8Array.from({ length }, () => pick(next));
}

describe('the SDK UTF-8 decoder without TextDecoder', () => {
  it('decodes valid text as TextDecoder does: ASCII runs longer than a block, every width of character', () => {
    const text = `${'a'.repeat(20_000)}é${'b;'.repeat(9000)}⚙😀${'x'.repeat(31)}é😀`.repeat(3);
    expect(decodePlain(new TextEncoder().encode(text))).toBe(text);
  });

  it.each([
    ['random bytes', (next: () => number) => Math.floor(next() * 256)],
    ['mostly ASCII with stray high bytes', (next: () => number) => (next() < 0.98 ? Math.floor(next() * 128) : 0x80 + Math.floor(next() * 128))],
    ['mostly lead and continuation bytes', (next: () => number) => (next() < 0.2 ? Math.floor(next() * 128) : 0x80 + Math.floor(next() * 128))],
  ])('gives what the character-at-a-time decoder gave on %s', (_label, pick) => {
    for (let seed = 1; seed <= 20; seed++) {
      const bytes = bytesOf(seed, 30_000, pick);
      expect(decodePlain(bytes)).toBe(reference(bytes));
    }
  });
});
