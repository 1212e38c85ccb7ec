/**
 * Just enough of the WebAssembly binary formats to tell a component from a
 * core module from anything else, and to read and append custom sections,
 * without compiling or running the file.
 */
const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const CORE_VERSION = [0x01, 0x00, 0x00, 0x00];
const COMPONENT_VERSION = [0x0d, 0x00, 0x01, 0x00];
const CUSTOM_SECTION = 0;

export type BinaryKind = 'component' | 'core-module' | 'unknown-wasm' | 'not-wasm';

function startsWith(bytes: Uint8Array, prefix: number[], at = 0): boolean {
  return prefix.every((byte, index) => bytes[at + index] === byte);
}

export function classifyBinary(bytes: Uint8Array): BinaryKind {
  if (bytes.length < 8 || !startsWith(bytes, MAGIC)) return 'not-wasm';
  if (startsWith(bytes, CORE_VERSION, 4)) return 'core-module';
  if (startsWith(bytes, COMPONENT_VERSION, 4)) return 'component';
  return 'unknown-wasm';
}

/** An unsigned LEB128 at `offset`; `maxShift` 35 for a u32 (section sizes, counts), 63 for a u64 (memory64 limits). */
export function readLeb(bytes: Uint8Array, offset: number, maxShift = 35): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let position = offset;
  for (;;) {
    const byte = bytes[position++];
    if (byte === undefined) throw new RangeError('truncated LEB128');
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: position };
    shift += 7;
    if (shift > maxShift) throw new RangeError('LEB128 too long');
  }
}

export function writeLeb(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    // % rather than &: a value past 2^31 (a 4 GiB limit in bytes) must not wrap
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    out.push(byte);
  } while (rest > 0);
  return out;
}

/** A top-level section: its id, where it starts (the id byte), where its body starts, and its end. */
export interface Section {
  readonly id: number;
  readonly start: number;
  readonly body: number;
  readonly end: number;
}

/**
 * The top-level sections in order. `maxShift` as for readLeb (63 where a
 * reader takes section sizes as u64); `label` prefixes the RangeError a
 * section running past the end of the bytes gives.
 */
export function readSections(bytes: Uint8Array, maxShift = 35, label = 'the file'): Section[] {
  const sections: Section[] = [];
  let offset = 8;
  while (offset < bytes.length) {
    const size = readLeb(bytes, offset + 1, maxShift);
    const end = size.next + size.value;
    if (end > bytes.length) throw new RangeError(`section at byte ${offset} runs past the end of ${label}`);
    sections.push({ id: bytes[offset]!, start: offset, body: size.next, end });
    offset = end;
  }
  return sections;
}

/** Top-level custom sections by name (the last one wins); throws RangeError on a truncated file. */
export function readCustomSections(bytes: Uint8Array): Map<string, Uint8Array> {
  const sections = new Map<string, Uint8Array>();
  for (const { id, body, end } of readSections(bytes)) {
    if (id !== CUSTOM_SECTION) continue;
    const nameLength = readLeb(bytes, body);
    const nameEnd = nameLength.next + nameLength.value;
    sections.set(new TextDecoder().decode(bytes.subarray(nameLength.next, nameEnd)), bytes.subarray(nameEnd, end));
  }
  return sections;
}

/** A copy of `bytes` with one more top-level custom section at the end (valid for modules and components). */
export function appendCustomSection(bytes: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const body = [...writeLeb(nameBytes.length), ...nameBytes];
  const header = [CUSTOM_SECTION, ...writeLeb(body.length + payload.length), ...body];
  const out = new Uint8Array(bytes.length + header.length + payload.length);
  out.set(bytes, 0);
  out.set(header, bytes.length);
  out.set(payload, bytes.length + header.length);
  return out;
}
