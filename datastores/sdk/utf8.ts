/**
 * UTF-8 for both engines: StarlingMonkey has TextEncoder/TextDecoder, the
 * QuickJS runtime does not, so the SDK falls back to a plain codec there.
 */
// Managers are typechecked without DOM or Node types: these are the engine's globals, when it has them.
declare const TextEncoder: (new () => { encode(text: string): Uint8Array }) | undefined;
declare const TextDecoder: (new () => { decode(bytes: Uint8Array): string }) | undefined;

interface Codec {
  encode(text: string): Uint8Array;
  decode(bytes: Uint8Array): string;
}

const native: Codec | undefined =
  typeof TextEncoder === 'function' && typeof TextDecoder === 'function'
    ? (() => {
        const encoder = new TextEncoder();
        const decoder = new TextDecoder();
        return { encode: (text: string) => encoder.encode(text), decode: (bytes: Uint8Array) => decoder.decode(bytes) };
      })()
    : undefined;

function encodePlain(text: string): Uint8Array {
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) out.push(code);
    else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 63));
    else if (code < 0x10000) out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
    else out.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
  }
  return Uint8Array.from(out);
}

/** Most arguments given to one String.fromCharCode call. */
const UNITS_AT_ONCE = 8192;
const SHORTEST_RUN = 32;
const NOT_ASCII = /[\u0080-\u00ff]/;

/**
 * Decodes like TextDecoder: malformed sequences become U+FFFD. Built from
 * blocks of code units, not a character at a time: QuickJS appends to a
 * string by copying it, and a logical restore decodes its whole dump.
 */
export function decodePlain(bytes: Uint8Array): string {
  const parts: string[] = [];
  const units: number[] = [];
  const flush = () => {
    if (units.length === 0) return;
    parts.push(String.fromCharCode.apply(null, units));
    units.length = 0;
  };
  let i = 0;
  let asciiRun = SHORTEST_RUN;
  const continuation = (at: number) => ((bytes[at] ?? 0) & 0xc0) === 0x80;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      // ASCII bytes are their code units: a block at once, then a native search for where it ends.
      // The block doubles while it stays ASCII and starts small again after other text, so mixed
      // text costs at most about twice its length.
      const block = String.fromCharCode.apply(null, bytes.subarray(i, i + asciiRun) as unknown as number[]);
      const high = block.search(NOT_ASCII);
      flush();
      parts.push(high === -1 ? block : block.slice(0, high));
      i += high === -1 ? block.length : high;
      asciiRun = high === -1 ? Math.min(asciiRun * 2, UNITS_AT_ONCE) : SHORTEST_RUN;
      continue;
    }
    let code = 0xfffd;
    let length = 1;
    if (lead >= 0xc2 && lead < 0xe0 && continuation(i + 1)) {
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
    if (code >= 0x10000) units.push(0xd800 + ((code - 0x10000) >> 10), 0xdc00 + ((code - 0x10000) & 1023));
    else units.push(code);
    if (units.length >= UNITS_AT_ONCE) flush();
    i += length;
  }
  flush();
  return parts.join('');
}

export const utf8: Codec = native ?? { encode: encodePlain, decode: decodePlain };
