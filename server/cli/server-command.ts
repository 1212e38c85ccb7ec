import type { Command } from 'commander';

export function registerServer(program: Command, run: (action: () => Promise<void>, json?: boolean) => Promise<void>): void {
  program
    .command('server')
    .description('run the control plane: REST API, guest channel, instances')
    .requiredOption('-c, --config <file>', 'server config (TOML or JSON)', process.env.BERTH_CONFIG ?? '/etc/berth/server.toml')
    .option('--listen <host:port>', 'overrides server.listen')
    .action((flags: { config: string; listen?: string }) =>
      run(async () => {
        const { readConfigFile } = await import('../../host/config/config-file.js');
        const { serverConfigSchema } = await import('../config/server-config.js');
        const { startServer } = await import('../server.js');
        const config = readConfigFile(flags.config, serverConfigSchema, 'pass the server config with --config /etc/berth/server.toml');
        if (flags.listen) config.server.listen = flags.listen;
        const server = await startServer(config, { logger: true });
        process.stderr.write(`berth server listening on ${server.url} (guests: ${server.guestUrl})\n`);
        await new Promise<void>((resolve) => {
          const stop = () => void server.close().then(resolve);
          process.once('SIGTERM', stop);
          process.once('SIGINT', stop);
        });
      }),
    );
}
