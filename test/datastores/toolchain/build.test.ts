import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManager } from '../../../datastores/toolchain/build.js';
import { readCustomSections } from '../../../datastores/toolchain/wasm-binary.js';
import { MANIFEST_SECTION } from '../../../datastores/toolchain/manifest.js';
import { BerthError } from '../../../datastores/errors/berth-error.js';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { describeComponent } from '../../../host/component/describe.js';

const SDK = JSON.stringify(join(PACKAGE_ROOT, 'datastores', 'sdk', 'index.js'));
let work: string;

function managerSource(body: string): string {
  return `import { defineManager } from ${SDK};\nexport default defineManager({ name: 'temp', version: '0.0.1', datastores: ['t'], operations: { ${body} } });\n`;
}

async function writeManager(name: string, body: string): Promise<string> {
  const path = join(work, `${name}.ts`);
  await writeFile(path, managerSource(body));
  return path;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-build-test-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('buildManager', () => {
  it('embeds the manifest in a custom section and reuses the content-hashed cache until the source changes', async () => {
    const entry = await writeManager('cached', `isRootEnabled() { return ${Date.now() % 2 === 0}; }`);
    const first = await buildManager({ describe: describeComponent, entry });
    expect(first.cached).toBe(false);
    const section = JSON.parse(new TextDecoder().decode(readCustomSections(first.bytes).get(MANIFEST_SECTION))) as { operations: string[] };
    expect(section.operations).toEqual(['is-root-enabled']);

    const second = await buildManager({ describe: describeComponent, entry });
    expect(second.cached).toBe(true);
    expect(second.sha256).toBe(first.sha256);

    await writeFile(entry, managerSource('isRootEnabled() { return true; }, disableRoot() {}'));
    const third = await buildManager({ describe: describeComponent, entry });
    expect(third.cached).toBe(false);
    expect(third.manifest.operations).toEqual(['disable-root', 'is-root-enabled']);
  });

  it('fails the build, naming the operation, when an author misspells one', async () => {
    const entry = await writeManager('typo', 'createDatabase() {}');
    const typed = await buildManager({ describe: describeComponent, entry, cache: false }).catch((e: unknown) => e);
    expect(typed).toBeInstanceOf(BerthError);
    expect((typed as BerthError).code).toBe('BERTH_ERR_BUILD_TYPES');
    expect((typed as BerthError).message).toContain('createDatabase');
    // without the typecheck, defineManager itself refuses it while the component initialises
    const untyped = await buildManager({ describe: describeComponent, entry, cache: false, typecheck: false }).catch((e: unknown) => e);
    expect((untyped as BerthError).code).toBe('BERTH_ERR_BUILD_COMPONENTIZE');
    expect((untyped as BerthError).message).toContain('unknown operation(s) createDatabase');
  });

  it('refuses a manager whose operation returns the wrong shape, before it could trap at run time', async () => {
    const entry = await writeManager('wrong-shape', "listDatabases() { return { items: 'none' }; }");
    const error = await buildManager({ describe: describeComponent, entry, cache: false }).catch((e: unknown) => e);
    expect((error as BerthError).code).toBe('BERTH_ERR_BUILD_TYPES');
    expect((error as BerthError).message).toMatch(/wrong-shape\.ts\(2,\d+\)/);
    const unchecked = await buildManager({ describe: describeComponent, entry, cache: false, typecheck: false });
    expect(unchecked.manifest.operations).toEqual(['list-databases']);
  });

  it('reports a syntax error with its location', async () => {
    const entry = join(work, 'broken.ts');
    await writeFile(entry, 'export default {{;\n');
    const error = await buildManager({ describe: describeComponent, entry, cache: false }).catch((e: unknown) => e);
    expect((error as BerthError).code).toBe('BERTH_ERR_BUILD_ENTRY');
    expect((error as BerthError).message).toMatch(/broken\.ts:1:\d+/);
  });
});
