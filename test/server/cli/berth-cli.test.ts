import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { componentize } from 'componentize-qjs';
import { berth, errorOf } from '../../support/cli.js';
import { FIXTURE_MANAGERS, call, instantiateBytes } from '../../support/components.js';
import { ALL_OPERATIONS } from '../../../datastores/sdk/operations.js';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';

let work: string;
let manager: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-cli-'));
  manager = join(work, 'three-ops.wasm');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('npx berth build', () => {
  it('builds a three-operation manager into a component and reports what it supports', async () => {
    const result = await berth(['build', join(FIXTURE_MANAGERS, 'three-ops.ts'), '-o', manager]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`built ${manager}`);
    expect(result.stdout).toContain('create-databases, list-databases, is-root-enabled');
    expect(result.stdout).toContain(`${ALL_OPERATIONS.length - 3} more operations answer "unsupported"`);
    const bytes = await readFile(manager);
    expect([...bytes.subarray(0, 8)]).toEqual([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
  });

  it('produces a component whose unsupported operations answer unsupported through jco', async () => {
    const exports = await instantiateBytes(await readFile(manager), { options: { greeting: 'hi' } });
    expect(call(exports.root!.enableRoot, 'pw')).toEqual({ err: { tag: 'unsupported', val: 'enable-root' } });
    expect(call(exports.root!.isRootEnabled)).toEqual({ ok: false });
  });

  it('refuses an unknown backend with a usage error', async () => {
    const result = await berth(['build', join(FIXTURE_MANAGERS, 'three-ops.ts'), '--backend', 'v8', '--json']);
    expect(result.code).toBe(2);
    expect(errorOf(result).code).toBe('BERTH_ERR_BUILD_BACKEND');
  });

  it('names a missing entry file', async () => {
    const result = await berth(['build', join(work, 'nope.ts'), '--json']);
    expect(result.code).toBe(2);
    expect(errorOf(result)).toMatchObject({ code: 'BERTH_ERR_FILE_NOT_FOUND' });
    expect(errorOf(result).message).toContain('nope.ts');
  });

  it('explains an entry without a default export', async () => {
    const entry = join(PACKAGE_ROOT, 'test', 'fixtures', 'managers', 'no-default.ts');
    const result = await berth(['build', entry, '--json', '--no-cache']);
    expect(result.code).toBe(3);
    expect(errorOf(result).code).toBe('BERTH_ERR_BUILD_ENTRY');
    expect(errorOf(result).fix).toContain('export default defineManager');
  });
});

describe('npx berth inspect', () => {
  it('lists the three supported operations, every other one as unsupported, the grants and the sha256', async () => {
    const result = await berth(['inspect', manager, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      sha256: string;
      supported: string[];
      unsupported: string[];
      manifest: { name: string; datastores: string[]; capabilities: { programs: Array<{ program: string }> } };
    };
    expect(report.supported).toEqual(['create-databases', 'list-databases', 'is-root-enabled']);
    expect(report.unsupported).toEqual(ALL_OPERATIONS.filter((name) => !report.supported.includes(name)));
    expect(report.manifest.name).toBe('three-ops');
    expect(report.manifest.capabilities.programs).toEqual([{ program: 'tinydb-ctl', purpose: 'start and stop tinydb' }]);
    const { createHash } = await import('node:crypto');
    expect(report.sha256).toBe(createHash('sha256').update(await readFile(manager)).digest('hex'));
  });

  it('prints a readable report by default', async () => {
    const result = await berth(['inspect', manager]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/supported \(3\):\n\s+create-databases, list-databases, is-root-enabled/);
    expect(result.stdout).toContain(`unsupported (${ALL_OPERATIONS.length - 3}):`);
    expect(result.stdout).toContain('greeting (required)');
    expect(result.stdout).toContain('configuration parameters (0):');
    expect(result.stdout).toContain('directory   {mount_point} read-write');
  });

  const cases: Array<[string, () => Promise<Uint8Array>, string]> = [
    ['random bytes', async () => Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251), 'BERTH_ERR_WASM_INVALID'],
    ['an empty file', async () => new Uint8Array(), 'BERTH_ERR_WASM_INVALID'],
    ['a core module', async () => Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]), 'BERTH_ERR_WASM_CORE_MODULE'],
    ['a truncated manager', async () => (await readFile(manager)).subarray(0, 100_000), 'BERTH_ERR_WASM_INVALID'],
    [
      'a component for another world',
      async () => {
        const fixture = join(PACKAGE_ROOT, 'test', 'fixtures', 'other-world');
        const { component } = await componentize({
          witPath: join(fixture, 'world.wit'),
          jsSource: await readFile(join(fixture, 'greeter.js'), 'utf8'),
          sync: true,
        });
        return new Uint8Array(component);
      },
      'BERTH_ERR_WASM_WRONG_WORLD',
    ],
  ];

  it.each(cases)('refuses %s with a clear error and no stack trace', async (_label, make, code) => {
    const file = join(work, `${code}-${Math.random().toString(16).slice(2)}.wasm`);
    await writeFile(file, await make());
    const json = await berth(['inspect', file, '--json']);
    expect(json.code).toBe(3);
    expect(errorOf(json).code).toBe(code);
    expect(errorOf(json).message).toContain(file);
    const human = await berth(['inspect', file]);
    expect(human.code).toBe(3);
    expect(human.stderr).toMatch(new RegExp(`^error ${code}: `, 'm'));
    expect(human.stderr).toContain('fix: ');
    expect(human.stderr).not.toMatch(/\n\s+at /);
  });

  it('names a file that does not exist', async () => {
    const result = await berth(['inspect', join(work, 'missing.wasm'), '--json']);
    expect(result.code).toBe(2);
    expect(errorOf(result).code).toBe('BERTH_ERR_FILE_NOT_FOUND');
  });
});
