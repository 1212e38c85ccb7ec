import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { TEST_HOST_BUNDLE, testHostIsBundle, testHostNode } from './host-under-test.js';

/**
 * CLI and host tests run the real `berth` command from dist/: build it from
 * the current sources first. With BERTH_TEST_HOST=bundle, the suites that
 * start a real guest host start the packed one instead (`berth pack`'s
 * lib/, every driver in), built here from the same sources. With
 * BERTH_TEST_HOST_NODE, the guest hosts run on that Node.js: checked here,
 * before anything is built, and its version said.
 */
export default async function setup(): Promise<void> {
  const node = testHostNode();
  if (node !== process.execPath) {
    let version = '';
    try {
      version = execFileSync(node, ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim();
    } catch {
      // told below
    }
    if (!/^v\d+\.\d+\.\d+/.test(version)) throw new Error(`BERTH_TEST_HOST_NODE=${node} is not a Node.js: \`${node} --version\` answered ${JSON.stringify(version)}`);
    console.log(`guest hosts under test: ${testHostIsBundle() ? 'the packed bundle' : 'berth host from dist/'} on Node.js ${version} (${node}); tests and server on ${process.version}`);
  }
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: PACKAGE_ROOT, stdio: 'inherit' });
  if (testHostIsBundle()) {
    const { bundleGuestHost, DRIVER_KINDS } = await import('../../host/bundling/guest-bundle.js');
    const { chmod, rm } = await import('node:fs/promises');
    await rm(join(TEST_HOST_BUNDLE, '..'), { recursive: true, force: true });
    await bundleGuestHost(TEST_HOST_BUNDLE, DRIVER_KINDS);
    // root's tests run hosts that drop to an instance's user before they load their workers
    await chmod(join(TEST_HOST_BUNDLE, '..'), 0o755);
  }
}
