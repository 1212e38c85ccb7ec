import type { GuestHost } from './guest-host.js';

/**
 * What `berth host` and the packed host (host-cli.ts) both do with their
 * command line: one place, so the two entry points cannot drift apart.
 */

/** `--check`: the config and the manager checked, the transpile cache filled, one line said. */
export async function printHostCheck(configFile: string): Promise<void> {
  // loaded only for --check: a running host never needs it
  const { checkGuestHost } = await import('./host-check.js');
  const checked = await checkGuestHost(configFile);
  process.stdout.write(`${configFile}: ${checked.manager} ${checked.version} (sha256 ${checked.sha256}) is ready to run; transpile cache in ${checked.cacheDir}\n`);
}

/** Serves until SIGTERM or SIGINT, then stops the host in order. */
export function serveUntilSignalled(host: GuestHost): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => void host.stop().then(resolve);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
