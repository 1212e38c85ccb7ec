import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newManager } from '../../../datastores/toolchain/new-manager.js';
import { BerthError } from '../../../datastores/errors/berth-error.js';
import { berthProcess, errorOf } from '../../support/cli.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function temp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-new-manager-'));
  dirs.push(dir);
  return dir;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BerthError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('berth new-manager', () => {
  it('writes a project depending on the SDK package, named after the directory by default', async () => {
    const dir = join(await temp(), 'Shop Store');
    const result = await newManager({ dir });
    expect(result.name).toBe('shop-store');
    expect((await readdir(dir)).sort()).toEqual(['.gitignore', 'README.md', 'manager.ts', 'package.json', 'test', 'tsconfig.json']);
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; scripts: Record<string, string> };
    expect(Object.keys(pkg.devDependencies)).toContain('@berth/sdk');
    expect(pkg.scripts).toMatchObject({ build: 'berth build manager.ts -o manager.wasm' });
    expect(await readFile(join(dir, 'manager.ts'), 'utf8')).toContain("from '@berth/sdk'");
  });

  it('scaffolds into an existing empty directory', async () => {
    const dir = await temp();
    await expect(newManager({ dir, name: 'acme' })).resolves.toMatchObject({ name: 'acme' });
  });

  it('refuses a directory that is not empty and leaves it as it was', async () => {
    const dir = await temp();
    await writeFile(join(dir, 'notes.txt'), 'mine');
    expect(await codeOf(newManager({ dir }))).toBe('BERTH_ERR_SCAFFOLD_NOT_EMPTY');
    expect(await readdir(dir)).toEqual(['notes.txt']);
  });

  it('refuses a path that is a file, and a name that is not a manager name', async () => {
    const dir = await temp();
    await writeFile(join(dir, 'file'), '');
    expect(await codeOf(newManager({ dir: join(dir, 'file') }))).toBe('BERTH_ERR_SCAFFOLD_NOT_EMPTY');
    await mkdir(join(dir, 'empty'));
    expect(await codeOf(newManager({ dir: join(dir, 'empty'), name: 'Not A Name' }))).toBe('BERTH_ERR_USAGE');
    expect(await readdir(join(dir, 'empty'))).toEqual([]);
  });

  it("is the clone's berth new-manager too: JSON on success, exit 2 and the catalogue code on a non-empty directory", async () => {
    const home = await temp();
    const dir = join(home, 'mine');
    const made = await berthProcess(['new-manager', dir, '--name', 'mine', '--json'], { home });
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ name: 'mine', dir });
    const again = await berthProcess(['new-manager', dir, '--json'], { home });
    expect(again.code).toBe(2);
    expect(errorOf(again).code).toBe('BERTH_ERR_SCAFFOLD_NOT_EMPTY');
  });
});
