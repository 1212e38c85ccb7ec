import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { printHostCheck, printOneCall, serveUntilSignalled } from '../../host/host-command-run.js';

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
    .option('--call <operation>', "run one operation of the manager in its sandbox, with the config's grants and no server, and print its outcome as JSON (exit 1 when it answers err)")
    .option('--args <json>', 'the operation\'s arguments, a JSON array (u64 as {"$bigint": "1"}, bytes as {"$bytes": "<base64>"})')
    .option('--artifact <name=file:access>', 'a backup artifact the call may read or write, access read or write (repeatable)', (value: string, all: string[]) => [...all, value], [] as string[])
    .action((flags: { config: string; check?: boolean; call?: string; args?: string; artifact: string[] }) =>
      run(async () => {
        if (flags.check) return printHostCheck(flags.config);
        if (flags.call !== undefined) return printOneCall(flags.config, flags.call, flags.args, flags.artifact);
        const { runGuestHost } = (await import(hostMain())) as typeof import('../../host/host-main.js');
        await serveUntilSignalled(await runGuestHost(flags.config));
      }),
    );
}
