import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';

/**
 * A first run with nothing to configure: data in ~/.berth, the local
 * provisioner, one project ("default") whose token is made once and kept in
 * the data directory, and the example datastore built on the way.
 */
export function registerUp(program: Command, run: (action: () => Promise<void>, json?: boolean) => Promise<void>): void {
  program
    .command('up')
    .description('start the server with embedded defaults and the local provisioner (a first run)')
    .option('--data-dir <dir>', 'where instances, the database and the token live', join(homedir(), '.berth'))
    .option('--listen <host:port>', 'REST API and guest channel', '127.0.0.1:8779')
    .action((flags: { dataDir: string; listen: string }) =>
      run(async () => {
        const { PACKAGE_ROOT } = await import('../../datastores/toolchain/paths.js');
        const { buildManager } = await import('../../datastores/toolchain/build.js');
        const { serverConfigSchema } = await import('../config/server-config.js');
        const { tokenDigest } = await import('../api/auth.js');
        const { startServer } = await import('../server.js');
        mkdirSync(join(flags.dataDir, 'managers'), { recursive: true, mode: 0o700 });

        const tokenFile = join(flags.dataDir, 'token');
        if (!existsSync(tokenFile)) writeFileSync(tokenFile, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
        const token = readFileSync(tokenFile, 'utf8').trim();

        process.stderr.write('building the example manager (datastores/examples/directory)...\n');
        const wasm = join(flags.dataDir, 'managers', 'directory.wasm');
        const built = await buildManager({ entry: join(PACKAGE_ROOT, 'datastores', 'examples', 'directory', 'manager.ts'), out: wasm });
        process.stderr.write(`  ${built.cached ? 'from cache' : 'built'}: ${built.manifest.name} ${built.manifest.version}\n`);

        const config = serverConfigSchema.parse({
          server: { listen: flags.listen, data_dir: flags.dataDir },
          provisioner: { kind: 'local' },
          projects: [{ name: 'default', tokens_sha256: [tokenDigest(token)] }],
          datastores: [{ name: 'directory', server: { usage_timeout: 60 }, versions: [{ name: '0.1', manager: { path: wasm, sha256: built.sha256 } }] }],
        });
        const server = await startServer(config, { stopGuestsOnClose: true });
        process.stdout.write(
          [
            `Berth is up on ${server.url}`,
            `  project: default`,
            `  token:   ${token}   (kept in ${tokenFile})`,
            `  API:     ${server.url}/docs`,
            ``,
            `  curl -s -H "Authorization: Bearer ${token}" ${server.url}/v1.0/default/datastores`,
            ``,
          ].join('\n'),
        );
        await new Promise<void>((resolve) => {
          const stop = () => void server.close().then(resolve);
          process.once('SIGTERM', stop);
          process.once('SIGINT', stop);
        });
      }),
    );
}
