import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { printHostCheck, serveUntilSignalled } from '../../host/host-command-run.js';

/**
 * What `berth host` runs. From source (tests), host-main.ts itself; from
 * dist/, the bundle `npm run build` makes (host/bundling/build-bundles.ts),
 * unless tsc has run alone since: a bundle older than the compiled modules
 * would run stale code, so those are run instead, unbundled and slower.
 */
function hostMain(): string {
  const compiled = new URL('../../host/host-main.js', import.meta.url);
  if (import.meta.url.endsWith('.ts')) return compiled.href;
  const bundle = new URL('../../host/bundled/host.js', import.meta.url);
  try {
    if (statSync(bundle).mtimeMs >= statSync(compiled).mtimeMs) return bundle.href;
  } catch {
    // no bundle (or no compiled module, which the import below will report)
  }
  return compiled.href;
}

export function registerHost(program: Command, run: (action: () => Promise<void>, json?: boolean) => Promise<void>): void {
  program
    .command('host')
    .description('run the guest host: one sandboxed manager, driven by the server over WebSocket')
    .requiredOption('-c, --config <file>', 'guest config (TOML or JSON)', '/etc/berth/guest.toml')
    .option('--check', 'check the config and the manager (sha256, world, grants) and fill the transpile cache, then exit without running the manager or dialing the server')
    .action((flags: { config: string; check?: boolean }) =>
      run(async () => {
        if (flags.check) return printHostCheck(flags.config);
        const { runGuestHost } = (await import(hostMain())) as typeof import('../../host/host-main.js');
        await serveUntilSignalled(await runGuestHost(flags.config));
      }),
    );
}
