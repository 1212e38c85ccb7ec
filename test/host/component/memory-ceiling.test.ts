import wabt from 'wabt';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../../host/component/engine-flags.js';
import type { CompiledComponent } from '../../../host/component/compile.js';
import { instantiateManager } from '../../../host/component/instantiate.js';
import { capMemories, WASM_PAGE_BYTES } from '../../../host/component/memory-ceiling.js';
import type { BerthError } from '../../../datastores/errors/berth-error.js';

// The memory section rewrite on its own, on modules written for each case; the real
// components (QuickJS, StarlingMonkey) are in test/security/memory-ceiling.test.ts.
let wat: (source: string) => Uint8Array;
beforeAll(async () => {
  const toolkit = await wabt();
  wat = (source) => toolkit.parseWat('test.wat', source, { threads: true }).toBinary({}).buffer;
});

/** A module with one memory of these limits, exported as m0, and grow0(pages) -> the old size or -1 (Node 20 has no multi-memory). */
function module(limits: string): Uint8Array {
  return wat(`(module (memory $m0 ${limits}) (export "m0" (memory $m0))
    (func (export "grow0") (param i32) (result i32) (memory.grow (local.get 0))))`);
}

type Exports = Record<string, (pages: number) => number>;

function instantiate(bytes: Uint8Array): Exports {
  return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as Exports;
}

describe('capMemories', () => {
  it('gives the memory that starts largest the ceiling: memory.grow fails past it, and not before', () => {
    const capped = capMemories(new Map([['a.wasm', module('2')]]), 10 * WASM_PAGE_BYTES);
    const exports = instantiate(capped.bytes.get('a.wasm')!);
    expect(exports.grow0!(8)).toBe(2);
    expect(exports.grow0!(1)).toBe(-1);
    expect(capped.pages.get('a.wasm')).toBe(10);
  });

  it('holds the other memories at their initial size, and the largest gets the rest, across modules', () => {
    const modules = new Map([['small.wasm', module('1')], ['main.wasm', module('4')], ['empty.wasm', module('0')]]);
    const capped = capMemories(modules, 10 * WASM_PAGE_BYTES);
    const main = instantiate(capped.bytes.get('main.wasm')!);
    expect(instantiate(capped.bytes.get('small.wasm')!).grow0!(1)).toBe(-1);
    expect(instantiate(capped.bytes.get('empty.wasm')!).grow0!(1)).toBe(-1);
    expect(main.grow0!(5)).toBe(4);
    expect(main.grow0!(1)).toBe(-1);
    expect(Object.fromEntries(capped.pages)).toEqual({ 'main.wasm': 9, 'small.wasm': 1, 'empty.wasm': 0 });
  });

  it('keeps a smaller maximum of the module, and the shared flag', () => {
    const capped = capMemories(new Map([['a.wasm', module('1 3')]]), 50 * WASM_PAGE_BYTES);
    expect(capped.pages.get('a.wasm')).toBe(3);
    expect(instantiate(capped.bytes.get('a.wasm')!).grow0!(3)).toBe(-1);
    const cappedShared = capMemories(new Map([['b.wasm', module('0 100 shared')]]), 50 * WASM_PAGE_BYTES);
    const shared = instantiate(cappedShared.bytes.get('b.wasm')!);
    expect(shared.grow0!(50)).toBe(0);
    expect(shared.grow0!(1)).toBe(-1);
    expect((shared as unknown as Record<string, WebAssembly.Memory>).m0!.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('leaves a module without memories, and every other section, as it was', () => {
    const plain = wat('(module (func (export "f") (result i32) (i32.const 7)))');
    const withMemory = module('1');
    const capped = capMemories(new Map([['plain.wasm', plain], ['m.wasm', withMemory]]), 4 * WASM_PAGE_BYTES);
    expect(capped.bytes.get('plain.wasm')).toBe(plain);
    // only the limits changed: a maximum (one flag bit, one LEB byte) was added
    expect(capped.bytes.get('m.wasm')!.length).toBe(withMemory.length + 1);
  });

  it('refuses memories that start larger than the ceiling, naming host.memory_limit', () => {
    const error = (() => {
      try {
        capMemories(new Map([['a.wasm', module('300')]]), 256 * WASM_PAGE_BYTES);
      } catch (thrown) {
        return thrown as BerthError;
      }
    })();
    expect(error?.code).toBe('BERTH_ERR_MEMORY_LIMIT');
    expect(error?.message).toContain('host.memory_limit');
  });
});

describe('instantiateManager under a ceiling', () => {
  it('refuses a component that instantiates a module with memory twice, past the ceiling in all', async () => {
    const capped = capMemories(new Map([['a.wasm', module('1')]]), 8 * WASM_PAGE_BYTES);
    const compiled = new WebAssembly.Module(capped.bytes.get('a.wasm')!);
    const component: CompiledComponent = {
      // what a hand-made component's glue would do: the same core module, instantiated twice
      instantiate: async (getCoreModule, _imports, instantiateCore) => {
        instantiateCore(getCoreModule('a.wasm'), {});
        instantiateCore(getCoreModule('a.wasm'), {});
        return {};
      },
      coreModules: new Map([['a.wasm', compiled]]),
      imports: [],
      exports: [],
      memory: { limitBytes: 8 * WASM_PAGE_BYTES, ceilingPages: capped.ceilingPages, pages: capped.pages },
      liftedData: new Map(),
    };
    await expect(instantiateManager(component, {} as never, {})).rejects.toThrow(/host.memory_limit/);
  });

  it('reports the bytes of the memories the instances export', async () => {
    const capped = capMemories(new Map([['a.wasm', module('3')]]), 8 * WASM_PAGE_BYTES);
    let grow: ((pages: number) => number) | undefined;
    const component: CompiledComponent = {
      instantiate: async (getCoreModule, _imports, instantiateCore) => {
        grow = (instantiateCore(getCoreModule('a.wasm'), {}).exports as Exports).grow0;
        return {};
      },
      coreModules: new Map([['a.wasm', new WebAssembly.Module(capped.bytes.get('a.wasm')!)]]),
      imports: [],
      exports: [],
      memory: { limitBytes: 8 * WASM_PAGE_BYTES, ceilingPages: capped.ceilingPages, pages: capped.pages },
      liftedData: new Map(),
    };
    const instance = await instantiateManager(component, {} as never, {});
    expect(instance.memoryBytes()).toBe(3 * WASM_PAGE_BYTES);
    grow!(2);
    expect(instance.memoryBytes()).toBe(5 * WASM_PAGE_BYTES);
  });
});
