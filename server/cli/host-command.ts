import type { Command } from 'commander';

export function registerHost(program: Command, run: (action: () => Promise<void>, json?: boolean) => Promise<void>): void {
  program
    .command('host')
    .description('run the guest host: one sandboxed manager, driven by the server over WebSocket')
    .requiredOption('-c, --config <file>', 'guest config (TOML or JSON)', '/etc/berth/guest.toml')
    .action((flags: { config: string }) =>
      run(async () => {
        const { startGuestHost } = await import('../../host/guest-host.js');
        const host = await startGuestHost(flags.config);
        await new Promise<void>((resolve) => {
          const stop = () => void host.stop().then(resolve);
          process.once('SIGTERM', stop);
          process.once('SIGINT', stop);
        });
      }),
    );
}
