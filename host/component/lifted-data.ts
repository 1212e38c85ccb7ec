import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { readLeb, readSections, type Section } from '../../datastores/toolchain/wasm-binary.js';

/**
 * A QuickJS or StarlingMonkey component's first core module is its engine's
 * initialised heap: one memory and megabytes of active data segments
 * (5.6 MB of the PostgreSQL manager's 6.8 MB). V8 keeps a module's wire
 * bytes for as long as the module lives, so those segments were resident
 * twice: once in the module, once in the memory they initialise.
 *
 * Lifting them out compiles the module without its data section and, each
 * time it is instantiated, reads every segment from the transpile cache's
 * copy of the module straight into the new instance's memory. Only modules
 * whose behaviour cannot tell the difference are lifted: no start function
 * (nothing runs between instantiation and the copy), the memory defined and
 * exported by the module itself, every segment active on that memory at a
 * constant offset, no data-count section (no memory.init or data.drop).
 */
const SECTION = { import: 2, export: 7, start: 8, data: 11, dataCount: 12 } as const;
const EXPORT_MEMORY = 0x02;
const IMPORT_MEMORY = 0x02;
const I32_CONST = 0x41;
const END = 0x0b;

/** Where each segment goes in memory and where its bytes are in the module's file. */
export interface LiftedData {
  /** Per segment: memory offset, byte position in the file, length (three u32s). */
  readonly segments: Uint32Array;
  /** The export that is the module's memory. */
  readonly memoryExport: string;
  /** A descriptor open on the cache's file, kept for the life of the process (a worker reads it). */
  readonly fd: number;
}

function readName(bytes: Uint8Array, at: number): { name: string; next: number } {
  const length = readLeb(bytes, at);
  return { name: new TextDecoder().decode(bytes.subarray(length.next, length.next + length.value)), next: length.next + length.value };
}

function importsMemory(bytes: Uint8Array, section: Section): boolean {
  const count = readLeb(bytes, section.body);
  let at = count.next;
  for (let index = 0; index < count.value; index++) {
    at = readName(bytes, readName(bytes, at).next).next;
    const kind = bytes[at++]!;
    if (kind === IMPORT_MEMORY) return true;
    // func: type index; table: reftype + limits; global: valtype + mut; tag: attribute + type index
    if (kind === 0x00) at = readLeb(bytes, at).next;
    else if (kind === 0x01) at = skipLimits(bytes, at + 1);
    else if (kind === 0x03) at += 2;
    else return true; // a kind this reader does not know: do not lift
  }
  return false;
}

function skipLimits(bytes: Uint8Array, at: number): number {
  const flags = bytes[at]!;
  let next = readLeb(bytes, at + 1, 63).next;
  if (flags & 0x01) next = readLeb(bytes, next, 63).next;
  return next;
}

function memoryExportName(bytes: Uint8Array, section: Section): string | undefined {
  const count = readLeb(bytes, section.body);
  let at = count.next;
  for (let index = 0; index < count.value; index++) {
    const { name, next } = readName(bytes, at);
    const kind = bytes[next]!;
    const target = readLeb(bytes, next + 1);
    if (kind === EXPORT_MEMORY && target.value === 0) return name;
    at = target.next;
  }
  return undefined;
}

/** A signed LEB128 i32 (an i32.const's immediate). */
function readSignedLeb(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let position = offset;
  let byte: number;
  do {
    byte = bytes[position++]!;
    value |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80 && shift < 35);
  if (shift < 32 && byte & 0x40) value |= -1 << shift;
  return { value, next: position };
}

/** The segments as (memory offset, position, length), or undefined when one is not a constant-offset active segment on memory 0. */
function activeSegments(bytes: Uint8Array, section: Section): Uint32Array | undefined {
  const count = readLeb(bytes, section.body);
  const segments = new Uint32Array(count.value * 3);
  let at = count.next;
  for (let index = 0; index < count.value; index++) {
    const flag = readLeb(bytes, at);
    at = flag.next;
    if (flag.value === 2) {
      const memory = readLeb(bytes, at);
      if (memory.value !== 0) return undefined;
      at = memory.next;
    } else if (flag.value !== 0) return undefined;
    if (bytes[at] !== I32_CONST) return undefined;
    const offset = readSignedLeb(bytes, at + 1);
    if (bytes[offset.next] !== END) return undefined;
    const length = readLeb(bytes, offset.next + 1);
    segments[index * 3] = offset.value >>> 0;
    segments[index * 3 + 1] = length.next;
    segments[index * 3 + 2] = length.value;
    at = length.next + length.value;
  }
  return at === section.end ? segments : undefined;
}

/** The module without its data section and the segments it held, or undefined when it cannot be lifted. */
export function liftDataSegments(bytes: Uint8Array): { module: Uint8Array; segments: Uint32Array; memoryExport: string } | undefined {
  const all = readSections(bytes);
  const byId = (id: number) => all.find((section) => section.id === id);
  const data = byId(SECTION.data);
  const exports = byId(SECTION.export);
  if (!data || !exports || byId(SECTION.start) || byId(SECTION.dataCount)) return undefined;
  const imports = byId(SECTION.import);
  if (imports && importsMemory(bytes, imports)) return undefined;
  const memoryExport = memoryExportName(bytes, exports);
  const segments = memoryExport === undefined ? undefined : activeSegments(bytes, data);
  if (!segments || memoryExport === undefined) return undefined;
  const module = new Uint8Array(bytes.length - (data.end - data.start));
  module.set(bytes.subarray(0, data.start), 0);
  module.set(bytes.subarray(data.end), data.start);
  return { module, segments, memoryExport };
}

/**
 * The newest descriptor on each file, reused while the path still names the
 * same file. A descriptor once handed out is never closed: a component
 * compiled through it reads its segments through it for as long as the
 * process lives (one per cache entry, or per replacement of one).
 */
const keptFiles = new Map<string, number>();

function sameFile(fd: number, file: string): boolean {
  const [open, named] = [fstatSync(fd), statSync(file)];
  return open.dev === named.dev && open.ino === named.ino;
}

function readWhole(fd: number): Buffer {
  const bytes = Buffer.allocUnsafe(fstatSync(fd).size);
  readExactly(fd, bytes, 0, bytes.length, 0);
  return bytes;
}

/**
 * `file`'s bytes, read through a descriptor that stays open: the segments
 * read later come from the very file the module was compiled from, even if
 * the cache entry is replaced or removed meanwhile. `fresh`: the descriptor
 * was opened by this call, so no component has it yet.
 */
export function readKept(file: string): { bytes: Buffer; fd: number; fresh: boolean } {
  const kept = keptFiles.get(file);
  if (kept !== undefined && sameFile(kept, file)) return { bytes: readWhole(kept), fd: kept, fresh: false };
  const fd = openSync(file, 'r');
  try {
    const bytes = readWhole(fd);
    keptFiles.set(file, fd);
    return { bytes, fd, fresh: true };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * A kept descriptor on `file` when its bytes are `bytes` (a module just
 * transpiled and written to the cache), or undefined when it is gone or differs.
 */
export function openVerified(file: string, bytes: Uint8Array): number | undefined {
  try {
    const read = readKept(file);
    if (read.bytes.equals(bytes)) return read.fd;
    if (read.fresh) {
      keptFiles.delete(file);
      closeSync(read.fd);
    }
  } catch {
    // not in the cache (read-only, or another host's entry): the module is compiled with its data
  }
  return undefined;
}

/**
 * Scratch for reading segments in runs: one read per segment (10,000 of
 * 560 bytes for the PostgreSQL manager) took 41-48 ms a copy, runs of
 * 256 KiB 18-24 ms, most of which is the fresh memory's page faults (V8's
 * own instantiation with the data takes 16-19 ms).
 */
const CHUNK_BYTES = 256 * 1024;

/** Copy the lifted segments into a new instance's memory, in order, as instantiation would have. */
export function writeLiftedData(instance: WebAssembly.Instance, lifted: LiftedData): void {
  const memory = instance.exports[lifted.memoryExport];
  if (!(memory instanceof WebAssembly.Memory)) throw new Error(`the lifted module's export ${lifted.memoryExport} is not its memory`);
  const view = new Uint8Array(memory.buffer);
  const { segments, fd } = lifted;
  const chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  let chunkStart = 0;
  let chunkEnd = 0;
  for (let at = 0; at < segments.length; at += 3) {
    const offset = segments[at]!;
    const position = segments[at + 1]!;
    const length = segments[at + 2]!;
    if (offset + length > view.length) throw new RangeError(`data segment ${at / 3} is out of bounds`);
    if (length === 0) continue;
    if (length > CHUNK_BYTES) {
      readExactly(fd, view, offset, length, position);
      continue;
    }
    if (position < chunkStart || position + length > chunkEnd) {
      chunkStart = position;
      chunkEnd = position + readSync(fd, chunk, 0, CHUNK_BYTES, position);
      if (position + length > chunkEnd) throw new Error(`the transpile cache's module was cut short at segment ${at / 3}`);
    }
    chunk.copy(view, offset, position - chunkStart, position - chunkStart + length);
  }
}

function readExactly(fd: number, into: Uint8Array, offset: number, length: number, position: number): void {
  for (let done = 0; done < length; ) {
    const read = readSync(fd, into, offset + done, length - done, position + done);
    if (read === 0) throw new Error("the transpile cache's module was cut short");
    done += read;
  }
}
