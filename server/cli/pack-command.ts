import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { PackPlacement } from '../../host/bundling/pack-templates.js';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { CONNECTION_KINDS as KINDS, type ConnectionKind as Kind, type ManagerManifest } from '../../datastores/toolchain/manifest.js';
import * as builtin from '../registry/builtin-datastores.js';
import { formatBytes } from './output.js';

interface PackFlags {
  out: string;
  prefix: string;
  drivers?: string;
  json?: boolean;
}

function parseDrivers(text: string | undefined): Kind[] | undefined {
  if (text === undefined) return undefined;
  const kinds = text.split(',').map((kind) => kind.trim()).filter(Boolean);
  const unknown = kinds.filter((kind) => !(KINDS as readonly string[]).includes(kind));
  if (unknown.length > 0) throw new BerthError('BERTH_ERR_USAGE', `--drivers: unknown kind ${unknown.join(', ')}`, `use a comma-separated list of ${KINDS.join(', ')}`);
  return kinds as Kind[];
}

/**
 * What Berth's own local placement grants a built-in datastore (the
 * registry's programs and connection templates), so that a packed guest's
 * template grants the same; undefined for a third party's datastore.
 */
function builtinPlacement(manifest: ManagerManifest): PackPlacement | undefined {
  const datastore = manifest.datastores[0];
  // the registry's factories want a manager pin; the template pins the packed one itself
  const manager = { path: '', sha256: '' };
  const local =
    datastore === 'postgresql'
      ? builtin.postgresqlDatastore('packed', builtin.systemPostgresBin() ?? builtin.embeddedPostgresBin() ?? '/usr/lib/postgresql/15/bin', manager).local
      : datastore === 'mysql' || datastore === 'mariadb' || datastore === 'percona'
        ? builtin.mysqlDatastore('packed', manager, datastore).local
        : datastore === 'redis'
          ? builtin.redisDatastore('packed', builtin.REDIS_SERVER_PATHS.find((path) => existsSync(path)) ?? builtin.REDIS_SERVER_PATHS[0], manager).local
          : undefined;
  return local && { programs: local.programs, connections: local.connections };
}

export function registerPack(program: Command, run: (action: () => Promise<void>, json?: boolean) => Promise<void>): void {
  program
    .command('pack')
    .description('write what one database server needs to run a manager: the guest host bundled, the manager transpiled, a guest.toml template and a systemd unit')
    .argument('<manager>', 'the manager component (.wasm) built with berth build')
    .requiredOption('-o, --out <dir|file.tgz>', 'a new directory, or a .tgz / .tar.gz archive')
    .option('--prefix <dir>', 'where the bundle is installed on the server (the templates name paths under it)', '/opt/berth')
    .option('--drivers <kinds>', `connection clients to include, comma-separated (${KINDS.join(', ')}); default: those the manifest asks for`)
    .option('--json', 'print the result as JSON')
    .action((manager: string, flags: PackFlags) =>
      run(async () => {
        const drivers = parseDrivers(flags.drivers);
        // esbuild and jco load only for this command
        const { packGuest } = await import('../../host/bundling/pack-guest.js');
        const result = await packGuest({ wasm: manager, out: flags.out, prefix: flags.prefix, ...(drivers ? { drivers } : {}), placementFor: builtinPlacement });
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ out: result.out, manager: result.manifest.name, version: result.manifest.version, sha256: result.sha256, drivers: result.drivers, totalBytes: result.totalBytes, archiveBytes: result.archiveBytes, files: result.files })}\n`);
          return;
        }
        const lib = result.files.filter((file) => file.path.startsWith('lib/')).reduce((sum, file) => sum + file.bytes, 0);
        const cache = result.files.filter((file) => file.path.startsWith('cache/')).reduce((sum, file) => sum + file.bytes, 0);
        process.stdout.write(
          [
            `packed ${result.manifest.name} ${result.manifest.version} into ${result.out}: ${formatBytes(result.totalBytes)} on disk${result.archiveBytes ? ` (${formatBytes(result.archiveBytes)} archive)` : ''}`,
            `  host ${formatBytes(lib)} (drivers: ${result.drivers.join(', ') || 'none'}), manager ${formatBytes(result.files.find((file) => file.path.startsWith('manager/'))?.bytes ?? 0)}, transpile cache ${formatBytes(cache)}`,
            `  on the server: install it under ${flags.prefix}, fill in guest.toml.example as /etc/berth/guest.toml, then`,
            `    node ${flags.prefix}/lib/host.js --config /etc/berth/guest.toml --check   (or install berth-host.service)`,
            '',
          ].join('\n'),
        );
      }, flags.json),
    );
}
