import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wabt from 'wabt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture } from '../../support/components.js';
import { bareSandboxSpec } from '../../support/sandbox-spec.js';
import { transpileComponent } from '../../../host/component/compile.js';
import { liftDataSegments, openVerified, writeLiftedData } from '../../../host/component/lifted-data.js';
import { Sandbox } from '../../../host/sandbox/sandbox.js';

// Data segments compiled out of a core module and copied into each instance's memory from the
// transpile cache: the memory an instance starts with must be byte for byte what V8's own
// instantiation gives, and modules where the copy could be told apart are left as they are.
let wat: (source: string) => Uint8Array;
const scratch: string[] = [];
beforeAll(async () => {
  const toolkit = await wabt();
  wat = (source) => toolkit.parseWat('test.wat', source, { bulk_memory: true }).toBinary({}).buffer;
});
afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

function memoryOf(instance: WebAssembly.Instance, name = 'mem'): Uint8Array {
  return new Uint8Array((instance.exports[name] as WebAssembly.Memory).buffer);
}

/** Lift `bytes`, write them to a file as the cache would hold them, and instantiate the lifted module with its data copied in. */
async function liftedInstance(bytes: Uint8Array): Promise<WebAssembly.Instance> {
  const lifted = liftDataSegments(bytes);
  if (!lifted) throw new Error('not lifted');
  const file = join(await tempDir('berth-lifted-'), 'm.wasm');
  await writeFile(file, bytes);
  const fd = openVerified(file, bytes);
  if (fd === undefined) throw new Error('not verified');
  const instance = new WebAssembly.Instance(new WebAssembly.Module(lifted.module));
  writeLiftedData(instance, { segments: lifted.segments, memoryExport: lifted.memoryExport, fd });
  return instance;
}

describe('liftDataSegments', () => {
  it('gives the lifted instance the same memory as instantiation, later segments over earlier ones', async () => {
    const bytes = wat(`(module (memory (export "mem") 2)
      (data (i32.const 16) "first segment")
      (data (i32.const 22) "OVER")
      (data (i32.const 70000) "on the second page")
      (data (i32.const 0x10) ""))`);
    const lifted = liftDataSegments(bytes)!;
    expect(lifted.segments.length).toBe(4 * 3);
    expect(lifted.module.length).toBeLessThan(bytes.length - 30);
    const plain = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    expect(Buffer.from(memoryOf(await liftedInstance(bytes))).equals(Buffer.from(memoryOf(plain)))).toBe(true);
    expect(Buffer.from(memoryOf(plain).subarray(16, 29)).toString()).toBe('first OVERent');
  });

  it('leaves a module whose behaviour could tell: a start function, passive segments, offsets from a global, an imported or unexported memory', () => {
    const cases = {
      start: '(module (memory (export "mem") 1) (data (i32.const 0) "x") (func $s) (start $s))',
      passive: '(module (memory (export "mem") 1) (data (i32.const 0) "x") (data "passive") (func (memory.init 1 (i32.const 0) (i32.const 0) (i32.const 1))))',
      global: '(module (global $g i32 (i32.const 8)) (memory (export "mem") 1) (data (global.get $g) "x"))',
      imported: '(module (import "env" "mem" (memory 1)) (data (i32.const 0) "x") (export "mem" (memory 0)))',
      unexported: '(module (memory 1) (data (i32.const 0) "x"))',
      noData: '(module (memory (export "mem") 1))',
    };
    for (const [name, source] of Object.entries(cases)) expect(liftDataSegments(wat(source)), name).toBeUndefined();
  });

  it('fails the instantiation of a segment past the memory, as V8 does', async () => {
    const bytes = wat('(module (memory (export "mem") 1) (data (i32.const 65530) "too long for the page"))');
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(bytes))).toThrow();
    await expect(liftedInstance(bytes)).rejects.toThrow(/out of bounds/);
  });

  it('does not trust a cache file that differs from the bytes compiled', async () => {
    const bytes = wat('(module (memory (export "mem") 1) (data (i32.const 0) "x"))');
    const file = join(await tempDir('berth-lifted-'), 'm.wasm');
    await writeFile(file, bytes.map((byte, index) => (index === bytes.length - 1 ? byte ^ 1 : byte)));
    expect(openVerified(file, bytes)).toBeUndefined();
    expect(openVerified(join(file, 'missing'), bytes)).toBeUndefined();
  });

  it('reuses the descriptor on a file read again, reading it whole each time, and never closes one handed out', async () => {
    const bytes = wat('(module (memory (export "mem") 1) (data (i32.const 0) "x"))');
    const file = join(await tempDir('berth-lifted-'), 'm.wasm');
    await writeFile(file, bytes);
    const first = openVerified(file, bytes);
    expect(first).toBeDefined();
    expect(openVerified(file, bytes)).toBe(first);
    // the entry replaced: a new descriptor for the new file, the old one still reads the old file
    await rm(file);
    await writeFile(file, bytes);
    const second = openVerified(file, bytes);
    expect(second).not.toBe(first);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(liftDataSegments(bytes)!.module));
    writeLiftedData(instance, { ...liftDataSegments(bytes)!, fd: first! });
    expect(memoryOf(instance)[0]).toBe('x'.charCodeAt(0));
  });
});

describe('a real QuickJS manager with its data lifted', () => {
  it('is lifted from the transpile cache, answers calls, and its replacement instance after a deadline starts from the same data', async () => {
    const { bytes } = await buildFixture('counter', 'quickjs');
    const cache = await tempDir('berth-lifted-cache-');
    const component = await transpileComponent(bytes, cache);
    // the same entry read again in this process (another host start, a test) leaves the first component's descriptor open
    expect((await transpileComponent(bytes, cache)).liftedData.size).toBe(1);
    // the engine's initialised heap is the first core module: megabytes of segments no longer compiled in
    const [name, lifted] = [...component.liftedData][0]!;
    expect(name).toMatch(/\.core\.wasm$/);
    expect(lifted.segments.length / 3).toBeGreaterThan(100);
    expect((await readdir(cache)).length).toBe(1);
    // without a cache there is nothing to read the segments back from: nothing is lifted
    expect((await transpileComponent(bytes)).liftedData.size).toBe(0);

    const volume = await tempDir('berth-lifted-volume-');
    const sandbox = await Sandbox.start({
      component,
      spec: { ...bareSandboxSpec({ mount_point: '/var/lib/counter' }), directories: [{ hostPath: volume, guestPath: '/var/lib/counter', access: 'read-write' }] },
      // the replacement instance starts within the next call's deadline even on a loaded machine (CI's two cores)
      quickTimeoutMs: 6000,
      slowTimeoutMs: 6000,
    });
    try {
      const database = (name: string) => [[{ name, characterSet: undefined, collation: undefined }]];
      expect(await sandbox.call('create-databases', database('before'))).toEqual({ ok: undefined });
      await expect(sandbox.call('create-databases', database('slow-20000'))).rejects.toMatchObject({ code: 'BERTH_ERR_CALL_TIMEOUT' });
      expect(await sandbox.call('create-databases', database('after'))).toEqual({ ok: undefined });
      const listed = (await sandbox.call('list-databases', [{ limit: undefined, marker: undefined, includeMarker: false }])) as { ok: { items: Array<{ name: string }> } };
      expect(listed.ok.items.map((item) => item.name)).toEqual(['before', 'after']);
    } finally {
      await sandbox.close();
    }
  });
});
