import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectManager, readEmbeddedManifest } from '../../datastores/toolchain/inspect.js';
import { transpileManager } from '../../host/component/checked-manager.js';
import { BerthError } from '../../datastores/errors/berth-error.js';
import type { ErrorCode } from '../../datastores/errors/catalogue.js';
import { buildFixture } from '../support/components.js';
import { guestFixture, spawnHost, type GuestFixture } from '../support/guest-host.js';
import { clip, runs } from './support/fc-settings.js';

/**
 * Class 3 of issue 6, manager files: a real manager truncated anywhere, with
 * bytes changed anywhere, random bytes, and random bytes behind a WebAssembly
 * header. `berth inspect` and the host's own check (manifest, then jco's
 * transpile and V8's compile) take each file or refuse it with a catalogue
 * error naming it; nothing else escapes, and a real host refuses what they
 * refuse with exit code 3.
 */
const RUNS = Number(process.env.REL_WASM_RUNS ?? 300);
const FILE_ERRORS: ReadonlySet<ErrorCode> = new Set(['BERTH_ERR_WASM_INVALID', 'BERTH_ERR_WASM_CORE_MODULE', 'BERTH_ERR_WASM_WRONG_WORLD', 'BERTH_ERR_WASM_UNGRANTABLE_IMPORT', 'BERTH_ERR_MANIFEST_INVALID']);

let manager: Uint8Array;
let fixture: GuestFixture;
let dir: string;
let written = 0;
/** Damaged files the host's check took (a changed byte inside a function body or a data segment). */
const taken: Damaged[] = [];

beforeAll(async () => {
  manager = (await buildFixture('counter', 'quickjs')).bytes;
  fixture = await guestFixture('counter', 'ws://127.0.0.1:1/v1/guests');
  dir = await mkdtemp(join(tmpdir(), 'berth-wasm-fuzz-'));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await fixture?.cleanup();
});

type Damaged = { how: string; bytes: Uint8Array };

function damagedFiles(): fc.Arbitrary<Damaged> {
  const length = manager.length;
  const flips = (maxAt: number) =>
    fc.array(fc.tuple(fc.nat({ max: maxAt - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((changes) => {
      const bytes = Uint8Array.from(manager);
      for (const [at, value] of changes) bytes[at] = value;
      return { how: `bytes changed at ${changes.map(([at]) => at).join(',')}`, bytes };
    });
  return fc.oneof(
    fc.nat({ max: length - 1 }).map((cut) => ({ how: `cut at ${cut} of ${length}`, bytes: manager.subarray(0, cut) })),
    // the first kilobytes hold the section headers and the component's type and import structure
    flips(4096),
    flips(length),
    fc.uint8Array({ maxLength: 4096 }).map((bytes) => ({ how: `${bytes.length} random bytes`, bytes })),
    fc
      .tuple(fc.constantFrom([0x01, 0x00, 0x00, 0x00], [0x0d, 0x00, 0x01, 0x00], [0x0e, 0x00, 0x01, 0x00], [0xff, 0xff, 0xff, 0xff]), fc.uint8Array({ maxLength: 2048 }))
      .map(([version, tail]) => ({ how: `header version ${version.join(',')} and ${tail.length} random bytes`, bytes: Uint8Array.from([0x00, 0x61, 0x73, 0x6d, ...version, ...tail]) })),
  );
}

function expectFileError(error: unknown, file: string, how: string): void {
  expect(error, `${how}: ${clip(String(error))}`).toBeInstanceOf(BerthError);
  const { code, message, fix } = error as BerthError;
  expect(FILE_ERRORS.has(code), `${how}: ${code} ${clip(message)}`).toBe(true);
  expect(message).toContain(file);
  expect(fix).toBeTruthy();
}

/** A guest config for `bytes` (no sha256 pinned: the point is what the host does with the file itself). */
async function hostConfigFor(label: string, bytes: Uint8Array): Promise<string> {
  const wasm = join(dir, `host-${label}.wasm`);
  await writeFile(wasm, bytes);
  const config = join(dir, `host-${label}.toml`);
  await writeFile(
    config,
    stringify({
      guest: { instance_id: 'inst-1', server_url: 'ws://127.0.0.1:1/v1/guests', token: 'token-for-tests-0123456789' },
      manager: { path: wasm },
      options: { mount_point: '/var/lib/counter' },
      grants: { directories: [{ host: fixture.volume, guest: '/var/lib/counter', access: 'read-write' }] },
      host: { cache_dir: join(dir, 'cache'), state_dir: join(dir, 'state'), spool_dir: join(dir, 'spool') },
    }),
  );
  return config;
}

describe('manager files under generated damage', () => {
  it(`inspect and the host's check take or refuse ${RUNS} damaged managers with a catalogue error naming the file`, async () => {
    const outcomes = { refusedByInspect: 0, refusedByHost: 0, takenByHost: 0 };
    await fc.assert(
      fc.asyncProperty(damagedFiles(), async (damaged) => {
        const file = join(dir, `${written++}.wasm`);
        await writeFile(file, damaged.bytes);
        await inspectManager(file).then(
          () => undefined,
          (error: unknown) => {
            outcomes.refusedByInspect++;
            expectFileError(error, file, damaged.how);
          },
        );
        try {
          readEmbeddedManifest(damaged.bytes, file);
          await transpileManager(damaged.bytes, file);
          outcomes.takenByHost++;
          if (taken.length < 4) taken.push(damaged);
        } catch (error) {
          outcomes.refusedByHost++;
          expectFileError(error, file, damaged.how);
        }
      }),
      runs(RUNS),
    );
    console.info(`damaged managers: ${JSON.stringify(outcomes)} of ${RUNS}`);
    expect(outcomes.refusedByHost).toBeGreaterThan(RUNS / 2);
  }, 600_000);

  it('a real berth host given a damaged manager its check took either runs it or exits 3 with a catalogue error, never an internal one', async () => {
    // V8 compiles (and validates) function bodies lazily, on first call, and a changed data byte is
    // valid code: such damage is found when the code runs (a trap, which the sandbox survives), or
    // never. Pinning manager.sha256 in the config is what refuses it before anything runs.
    for (const [index, damaged] of taken.entries()) {
      const config = await hostConfigFor(`taken-${index}`, damaged.bytes);
      const host = spawnHost(config);
      const exit = await Promise.race([host.exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 4000))]);
      if (exit === 'running') {
        host.child.kill('SIGKILL');
        await host.exited;
        continue;
      }
      expect(exit, `${damaged.how}: ${host.stderr()}`).toBe(3);
      expect(host.stderr(), damaged.how).toMatch(/^error BERTH_ERR_\w+: /m);
      expect(host.stderr(), damaged.how).not.toContain('BERTH_ERR_INTERNAL');
    }
  }, 120_000);

  it('a real berth host exits 3 naming the file for a truncated manager, random bytes, a damaged manifest and a damaged structure', async () => {
    const cases: Array<[string, Uint8Array, string]> = [
      ['truncated', manager.subarray(0, Math.floor(manager.length / 2)), 'BERTH_ERR_WASM_INVALID'],
      ['random', Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251), 'BERTH_ERR_WASM_INVALID'],
      ['damaged manifest', Uint8Array.from(manager).map((byte, i) => (i > manager.length - 64 ? 0xff : byte)), 'BERTH_ERR_MANIFEST_INVALID'],
      // the manifest reads, jco cannot: the host answered this with BERTH_ERR_INTERNAL before
      ['damaged structure', Uint8Array.from(manager).map((byte, i) => (i === 8 ? byte ^ 0xff : byte)), 'BERTH_ERR_WASM_INVALID'],
    ];
    for (const [label, bytes, code] of cases) {
      const host = spawnHost(await hostConfigFor(label, bytes));
      const exit = await host.exited;
      expect(exit, `${label}: ${host.stderr()}`).toBe(3);
      expect(host.stderr(), label).toMatch(new RegExp(`^error ${code}: .*host-`, 'm'));
      expect(host.stderr(), label).not.toMatch(/\n\s+at /);
    }
  }, 120_000);
});
