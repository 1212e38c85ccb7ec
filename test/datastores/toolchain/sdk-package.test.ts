import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packSdk } from '../../../datastores/toolchain/pack-sdk.js';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { berthProcess, errorOf, runProcess, type CliResult } from '../../support/cli.js';
import { writeProjectLock } from '../../support/sdk-project.js';

// The @berth/sdk package as an outside author gets it: packed with `npm pack`,
// a project scaffolded by its `berth new-manager` outside the repository,
// the SDK installed from the tarball offline, plain `tsc`, the package's own
// `berth build` and `berth inspect`, and the built .wasm run in the
// repository's real guest host. Slow: a pack, an npm install and a build.

let root: string;
let project: string;
let tarball: string;
let stage: string;

function inProject(command: string, args: readonly string[]): Promise<CliResult> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('BERTH_') && !key.startsWith('npm_')));
  return runProcess(command, args, { cwd: project, env: { ...env, NO_COLOR: '1' } });
}

const npx = (...args: string[]) => inProject('npx', ['--no-install', ...args]);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-sdk-package-'));
  stage = join(root, 'stage');
  tarball = packSdk(join(root, 'pack'), stage);
  // what `npx @berth/sdk new-manager` would run: the packed CLI beside its installed dependencies
  await symlink(join(PACKAGE_ROOT, 'node_modules'), join(stage, 'node_modules'));
  project = join(root, 'acme-manager');
  const scaffolded = await runProcess(process.execPath, [join(stage, 'datastores', 'toolchain', 'sdk-cli.js'), 'new-manager', project, '--name', 'acme'], { cwd: root });
  expect(scaffolded.code, scaffolded.stderr).toBe(0);
  writeProjectLock(project, tarball);
  // --legacy-peer-deps: jco-std's optional peer wants preview2-shim 0.25, which npm would otherwise try to fetch
  const installed = await inProject('npm', ['install', '--offline', '--no-audit', '--no-fund', '--legacy-peer-deps', tarball]);
  expect(installed.code, installed.stderr).toBe(0);
}, 600_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the @berth/sdk package in a project of its own', () => {
  it('packs the SDK, the contract types, the WIT and the berth bin, and nothing of host/ or server/', async () => {
    const listed = await runProcess('tar', ['-tzf', tarball], { cwd: root });
    const files = listed.stdout.split('\n').filter(Boolean);
    expect(files).toEqual(
      expect.arrayContaining([
        'package/package.json',
        'package/datastores/sdk/index.js',
        'package/datastores/sdk/index.d.ts',
        'package/datastores/sdk/generated/manager.d.ts',
        'package/datastores/sdk/generated/interfaces/berth-datastore-artifacts.d.ts',
        'package/datastores/toolchain/sdk-cli.js',
        'package/wit/world.wit',
      ]),
    );
    expect(files.filter((file) => /^package\/(host|server)\//.test(file))).toEqual([]);
    const manifest = JSON.parse(await readFile(join(stage, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies).sort()).toEqual(
      ['@bytecodealliance/componentize-js', '@bytecodealliance/jco', '@bytecodealliance/preview2-shim', 'componentize-qjs', 'esbuild', 'typescript', 'zod'].sort(),
    );
  });

  it('scaffolds a project that plain tsc checks, and berth build and inspect build and describe', async () => {
    const checked = await npx('tsc', '--noEmit');
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    const built = await npx('berth', 'build', 'manager.ts', '-o', 'manager.wasm', '--json');
    expect(built.code, built.stderr).toBe(0);
    expect(JSON.parse(built.stdout)).toMatchObject({ out: 'manager.wasm', supported: ['list-databases'] });
    const inspected = await npx('berth', 'inspect', 'manager.wasm', '--json');
    expect(inspected.code, inspected.stderr).toBe(0);
    const report = JSON.parse(inspected.stdout) as { manifest: { name: string; capabilities: { directories: Array<{ path: string }> } }; supported: string[]; unsupported: string[] };
    expect(report.manifest.name).toBe('acme');
    expect(report.supported).toEqual(['list-databases']);
    expect(report.unsupported).toContain('create-databases');
    expect(report.manifest.capabilities.directories.map((d) => d.path)).toEqual(['{mount_point}']);
    // the scaffold's own test: build, then check the manifest
    const tested = await inProject('npm', ['test']);
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
  });

  it("runs the built manager in the repository's guest host: list-databases answers, another operation is unsupported", async () => {
    const volume = join(root, 'volume');
    await mkdir(join(volume, 'sales'), { recursive: true });
    await mkdir(join(volume, 'orders'));
    await writeFile(join(volume, 'not-a-database.txt'), 'x');
    const wasm = join(project, 'manager.wasm');
    const configPath = join(root, 'guest.toml');
    const config = {
      guest: { instance_id: 'inst-1', server_url: 'ws://127.0.0.1:9/v1/guests', token: 'token-for-tests-0123456789' },
      manager: { path: wasm },
      options: { mount_point: '/var/lib/acme' },
      grants: { directories: [{ host: volume, guest: '/var/lib/acme', access: 'read-only' }] },
      host: { call_timeout: 10, state_dir: join(root, 'state'), spool_dir: join(root, 'spool'), cache_dir: join(root, 'cache') },
    };
    await writeFile(configPath, stringify(config));
    const home = join(root, 'home');
    await mkdir(home);
    const listed = await berthProcess(['host', '--config', configPath, '--call', 'list-databases', '--args', '[{"includeMarker":false}]'], { home });
    expect(listed.code, listed.stderr).toBe(0);
    const answer = JSON.parse(listed.stdout) as { ok: { items: Array<{ name: string }> } };
    expect(answer.ok.items.map((item) => item.name)).toEqual(['orders', 'sales']);
    const created = await berthProcess(['host', '--config', configPath, '--call', 'create-databases', '--args', '[[{"name":"x"}]]'], { home });
    expect(created.code).toBe(1);
    expect((JSON.parse(created.stdout) as { err: { tag: string } }).err.tag).toBe('unsupported');
  });

  it('refuses to scaffold into a directory that is not empty, naming it', async () => {
    const refused = await npx('berth', 'new-manager', project, '--json');
    expect(refused.code).toBe(2);
    const error = errorOf(refused);
    expect(error.code).toBe('BERTH_ERR_SCAFFOLD_NOT_EMPTY');
    expect(error.message).toContain(project);
  });

  it("fails the author's tsc when an operation returns the wrong shape for the contract", async () => {
    const source = await readFile(join(project, 'manager.ts'), 'utf8');
    await writeFile(join(project, 'manager.ts'), source.replace('items: page.map(', 'items: page.length, unused: page.map('));
    const checked = await npx('tsc', '--noEmit');
    expect(checked.code).not.toBe(0);
    expect(checked.stdout).toContain('manager.ts');
  });
});
