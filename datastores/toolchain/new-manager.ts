import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { BerthError } from '../errors/berth-error.js';
import { PACKAGE_ROOT } from './paths.js';
import { scaffoldFiles } from './scaffold-templates.js';

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

export const newManagerOptions = z.object({
  dir: z.string().min(1, 'name the directory to create the manager in'),
  name: z.string().regex(NAME, 'lower-case letters, digits and dashes, starting with a letter (at most 63)').optional(),
});
export type NewManagerOptions = z.infer<typeof newManagerOptions>;

export interface NewManagerResult {
  dir: string;
  name: string;
  files: string[];
}

/** The SDK package's own name and version: the scaffold depends on exactly this release line. */
function sdkPackage(): { name: string; range: string; typescriptRange: string } {
  const own = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string; version: string; dependencies?: Record<string, string> };
  // From the repository (package "berth"), the scaffold still names the SDK package it would install.
  const sdk = own.name === 'berth' ? (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'datastores', 'package.json'), 'utf8')) as typeof own) : own;
  return { name: sdk.name, range: `^${sdk.version}`, typescriptRange: sdk.dependencies?.typescript ?? '5.9' };
}

function defaultName(dir: string): string {
  const name = basename(resolve(dir)).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+/, '').slice(0, 63);
  return NAME.test(name) ? name : 'my-manager';
}

/**
 * `berth new-manager <dir>`: a manager in its own npm project (package.json,
 * tsconfig.json, manager.ts with one operation, a README and a test), in a
 * directory that does not exist yet or is empty.
 */
export async function newManager(input: NewManagerOptions): Promise<NewManagerResult> {
  const parsed = newManagerOptions.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path[0] === 'name' ? '--name' : '<dir>';
    throw new BerthError('BERTH_ERR_USAGE', `berth new-manager ${field}: ${issue.message}`, field === '--name' ? 'pass e.g. --name my-datastore' : 'run `berth new-manager my-manager`');
  }
  const dir = resolve(parsed.data.dir);
  const existing = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    if (error.code === 'ENOTDIR') return [basename(dir)];
    throw error;
  });
  if (existing.length > 0) {
    throw new BerthError(
      'BERTH_ERR_SCAFFOLD_NOT_EMPTY',
      `${parsed.data.dir} is not an empty directory (it holds ${existing.slice(0, 3).join(', ')}${existing.length > 3 ? ', ...' : ''})`,
      `name a new or empty directory, e.g. \`berth new-manager ${join(dirname(parsed.data.dir), `${basename(dir)}-manager`)}\`; berth new-manager never overwrites files`,
    );
  }
  const name = parsed.data.name ?? defaultName(dir);
  const sdk = sdkPackage();
  const files = scaffoldFiles({ name, sdkName: sdk.name, sdkRange: sdk.range, typescriptRange: sdk.typescriptRange });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content, { flag: 'wx' });
  }
  return { dir, name, files: Object.keys(files) };
}
