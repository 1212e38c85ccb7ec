import { BerthError } from '../../datastores/errors/berth-error.js';
import { readLeb, readSections, writeLeb } from '../../datastores/toolchain/wasm-binary.js';

/** Memory limits may be u64 (memory64): read them, and the section around them, as such. */
const U64_SHIFT = 63;

/**
 * The manager's memory ceiling, enforced by the WebAssembly engine itself.
 * A wasm32 memory declared without a maximum may grow to 4 GiB; jco's core
 * modules declare none. Before they are compiled, the memory section of each
 * is rewritten with a maximum, so that past the ceiling `memory.grow` fails
 * (the JS engine inside sees an allocation failure and throws or traps) and
 * nothing the manager does can make the lane's instance larger.
 *
 * The ceiling is for all of one instance's memories together. The memory
 * that starts largest (the JS engine's heap: QuickJS and StarlingMonkey
 * components have exactly one that is used) gets what the others do not
 * start with; every other memory is held at its initial size. A component
 * that instantiates a module twice would double that: instantiate.ts counts
 * the pages each instantiation may reach and refuses past the ceiling.
 *
 * Only memories a module defines are rewritten. The component model makes
 * every core memory in a module (jco's glue creates none), and an import
 * matches a memory with a smaller maximum, so imports stay as they are.
 */
export const WASM_PAGE_BYTES = 64 * 1024;

/** host.memory_limit's default, per lane (docs/guest-config.md says what the built-in managers use). */
export const DEFAULT_MEMORY_LIMIT_BYTES = 256 * 1024 * 1024;

const MEMORY_SECTION = 5;
/** Limits flags: bit 0 a maximum follows, bit 1 shared, bit 2 memory64. Other bits (custom page sizes) are refused. */
const HAS_MAX = 0x01;
const KNOWN_FLAGS = 0x07;

export interface CappedModules {
  /** The modules' bytes, memories rewritten. */
  readonly bytes: ReadonlyMap<string, Uint8Array>;
  /** Per module, the pages its memories may reach in all, for each time it is instantiated. */
  readonly pages: ReadonlyMap<string, number>;
  /** The ceiling in pages. */
  readonly ceilingPages: number;
}

interface Limits {
  flags: number;
  min: number;
  max: number | undefined;
}

interface MemorySection {
  /** Where the section starts (its id byte) and ends, in the module. */
  start: number;
  end: number;
  memories: Limits[];
}

function memorySection(bytes: Uint8Array, name: string): MemorySection | undefined {
  const section = readSections(bytes, U64_SHIFT, name).find(({ id }) => id === MEMORY_SECTION);
  if (!section) return undefined;
  const count = readLeb(bytes, section.body, U64_SHIFT);
  let at = count.next;
  const memories: Limits[] = [];
  for (let index = 0; index < count.value; index++) {
    const flags = bytes[at++]!;
    if ((flags & ~KNOWN_FLAGS) !== 0) throw new RangeError(`${name}: memory ${index} has limits flags 0x${flags.toString(16)}, which the host cannot bound`);
    const min = readLeb(bytes, at, U64_SHIFT);
    at = min.next;
    let max: number | undefined;
    if (flags & HAS_MAX) {
      const read = readLeb(bytes, at, U64_SHIFT);
      max = read.value;
      at = read.next;
    }
    memories.push({ flags, min: min.value, max });
  }
  if (at !== section.end) throw new RangeError(`${name}: the memory section does not end where its size says`);
  return { start: section.start, end: section.end, memories };
}

function withMemories(bytes: Uint8Array, section: MemorySection, memories: Limits[]): Uint8Array {
  const body = [...writeLeb(memories.length)];
  for (const { flags, min, max } of memories) body.push(flags | HAS_MAX, ...writeLeb(min), ...writeLeb(max!));
  const header = [MEMORY_SECTION, ...writeLeb(body.length)];
  const out = new Uint8Array(bytes.length - (section.end - section.start) + header.length + body.length);
  out.set(bytes.subarray(0, section.start), 0);
  out.set([...header, ...body], section.start);
  out.set(bytes.subarray(section.end), section.start + header.length + body.length);
  return out;
}

const mib = (pages: number) => `${Math.ceil((pages * WASM_PAGE_BYTES) / (1024 * 1024))} MiB`;

/**
 * `modules`: a component's core modules by name; `limitBytes`: the ceiling
 * (host.memory_limit), rounded down to whole pages. Throws a RangeError on a
 * module it cannot read, and BERTH_ERR_MEMORY_LIMIT when the memories start
 * larger than the ceiling.
 */
export function capMemories(modules: ReadonlyMap<string, Uint8Array>, limitBytes: number): CappedModules {
  const ceilingPages = Math.floor(limitBytes / WASM_PAGE_BYTES);
  const sections = new Map<string, MemorySection>();
  for (const [name, bytes] of modules) {
    const section = memorySection(bytes, name);
    if (section && section.memories.length > 0) sections.set(name, section);
  }
  const all = [...sections.values()].flatMap((section) => section.memories);
  const largest = all.reduce<Limits | undefined>((best, memory) => (best === undefined || memory.min > best.min ? memory : best), undefined);
  const initialPages = all.reduce((sum, memory) => sum + memory.min, 0);
  if (initialPages > ceilingPages) {
    throw new BerthError(
      'BERTH_ERR_MEMORY_LIMIT',
      `the manager's memories start at ${mib(initialPages)} in all, more than host.memory_limit (${mib(ceilingPages)})`,
      'raise host.memory_limit in the guest config',
    );
  }
  const capOf = (memory: Limits) => {
    const cap = memory === largest ? ceilingPages - (initialPages - memory.min) : memory.min;
    return Math.min(cap, memory.max ?? cap);
  };
  const bytes = new Map(modules);
  const pages = new Map<string, number>();
  for (const [name, section] of sections) {
    const capped = section.memories.map((memory) => ({ ...memory, max: capOf(memory) }));
    bytes.set(name, withMemories(modules.get(name)!, section, capped));
    pages.set(name, capped.reduce((sum, memory) => sum + memory.max, 0));
  }
  return { bytes, pages, ceilingPages };
}
