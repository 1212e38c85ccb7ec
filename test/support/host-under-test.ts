import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';

/** Where global-setup.ts writes the packed host when BERTH_TEST_HOST=bundle: `berth pack`'s lib/ directory. */
export const TEST_HOST_BUNDLE = join(PACKAGE_ROOT, 'dist', 'test-guest-bundle', 'lib');

/** BERTH_TEST_HOST=bundle: the host suites run the packed guest host, not `berth host` from dist/. */
export function testHostIsBundle(): boolean {
  const chosen = process.env.BERTH_TEST_HOST ?? 'dist';
  if (chosen !== 'dist' && chosen !== 'bundle') throw new Error(`BERTH_TEST_HOST must be "dist" or "bundle", not ${JSON.stringify(chosen)}`);
  return chosen === 'bundle';
}

/** The command line that starts a real guest host with `configPath`. */
export function hostCommand(configPath: string): string[] {
  return testHostIsBundle()
    ? [join(TEST_HOST_BUNDLE, 'host.js'), '--config', configPath]
    : [join(PACKAGE_ROOT, 'dist', 'server', 'cli', 'berth.js'), 'host', '--config', configPath];
}
