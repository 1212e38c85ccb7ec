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

/** Decodes like TextDecoder: malformed sequences become U+FFFD. */
function decodePlain(bytes: Uint8Array): string {
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

export const utf8: Codec = native ?? { encode: encodePlain, decode: decodePlain };
