import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { TEST_HOST_BUNDLE, testHostIsBundle } from './host-under-test.js';

/**
 * CLI and host tests run the real `berth` command from dist/: build it from
 * the current sources first. With BERTH_TEST_HOST=bundle, the suites that
 * start a real guest host start the packed one instead (`berth pack`'s
 * lib/, every driver in), built here from the same sources.
 */
export default async function setup(): Promise<void> {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: PACKAGE_ROOT, stdio: 'inherit' });
  if (testHostIsBundle()) {
    const { bundleGuestHost, DRIVER_KINDS } = await import('../../host/bundling/guest-bundle.js');
    const { rm } = await import('node:fs/promises');
    await rm(join(TEST_HOST_BUNDLE, '..'), { recursive: true, force: true });
    await bundleGuestHost(TEST_HOST_BUNDLE, DRIVER_KINDS);
  }
}
