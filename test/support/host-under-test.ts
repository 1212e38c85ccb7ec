import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';

/**
 * Where global-setup.ts writes the packed host when BERTH_TEST_HOST=bundle: `berth pack`'s lib/ directory,
 * outside the repository, as on a database server: inside it, a module the bundle failed to carry would still
 * be found in the repository's node_modules and the suite would pass on a bundle that cannot run.
 */
export const TEST_HOST_BUNDLE = join(tmpdir(), `berth-test-guest-bundle-${createHash('sha256').update(PACKAGE_ROOT).digest('hex').slice(0, 12)}`, 'lib');

/** BERTH_TEST_HOST=bundle: the host suites run the packed guest host, not `berth host` from dist/. */
export function testHostIsBundle(): boolean {
  const chosen = process.env.BERTH_TEST_HOST ?? 'dist';
  if (chosen !== 'dist' && chosen !== 'bundle') throw new Error(`BERTH_TEST_HOST must be "dist" or "bundle", not ${JSON.stringify(chosen)}`);
  return chosen === 'bundle';
}

/**
 * The Node.js executable that runs each real guest host: BERTH_TEST_HOST_NODE
 * (an absolute path to another Node.js, e.g. CI's Node 24 under the packed
 * host) or, by default, the one running the tests. Only the guest hosts run
 * on it: vitest and the in-process server stay on this process's Node.js.
 */
export function testHostNode(): string {
  const chosen = process.env.BERTH_TEST_HOST_NODE;
  if (chosen === undefined || chosen === '') return process.execPath;
  const problem = (why: string) => new Error(`BERTH_TEST_HOST_NODE must be the absolute path of an executable Node.js, but ${JSON.stringify(chosen)} ${why}`);
  if (!isAbsolute(chosen)) throw problem('is not absolute');
  let isFile: boolean;
  try {
    isFile = statSync(chosen).isFile();
  } catch {
    throw problem('does not exist');
  }
  if (!isFile) throw problem('is not a file');
  try {
    accessSync(chosen, constants.X_OK);
  } catch {
    throw problem('is not executable');
  }
  return chosen;
}

/**
 * The command line that starts a real guest host with `configPath`, after the Node.js executable (testHostNode).
 * `installed` asks for `berth host` of the installed package whatever BERTH_TEST_HOST says: for what only that
 * host does, e.g. transpiling a manager with the jco installed beside it (the bundle carries no jco).
 */
export function hostCommand(configPath: string, host: 'under-test' | 'installed' = 'under-test'): string[] {
  return host === 'under-test' && testHostIsBundle()
    ? [join(TEST_HOST_BUNDLE, 'host.js'), '--config', configPath]
    : [join(PACKAGE_ROOT, 'dist', 'server', 'cli', 'berth.js'), 'host', '--config', configPath];
}
