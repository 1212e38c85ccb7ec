import { readConfigFile } from '../../host/config/config-file.js';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { serverConfigSchema } from '../config/server-config.js';
import { directoryDatastore, mysqlDatastore, postgresqlDatastore, redisDatastore } from '../registry/builtin-datastores.js';
import { datastoreConfigSchema } from '../registry/registry.js';
import type { z } from 'zod';
import { machinePrograms, MYSQL_FAMILY, planDatastores } from '../cli/up-datastores.js';

export interface ManagerPin {
  path: string;
  sha256: string;
}

/**
 * The datastore the conformance run registers, pinned to the manager under
 * test: from a server config when one is given (its grants are the ones
 * production would use), else as `berth up` would offer it on this machine.
 * Every version of the datastore runs the manager under test; the first is the
 * one the scenario creates.
 */
export type ParsedDatastore = z.output<typeof datastoreConfigSchema>;

export function conformanceDatastore(name: string, manager: ManagerPin, serverConfigFile?: string): ParsedDatastore {
  if (serverConfigFile) {
    const config = readConfigFile(serverConfigFile, serverConfigSchema, 'pass a server config (TOML or JSON) with --server-config');
    const found = config.datastores.find((datastore) => datastore.name === name);
    if (!found) {
      throw new BerthError('BERTH_ERR_USAGE', `--datastore ${name} is not a datastore of ${serverConfigFile} (it has ${config.datastores.map((d) => d.name).join(', ') || 'none'})`, `name one of them, or add [[datastores]] name = "${name}" to the config`);
    }
    return { ...found, versions: found.versions.slice(0, 1).map((version) => ({ ...version, manager })) };
  }
  return datastoreConfigSchema.parse(builtinDatastore(name, manager));
}

function builtinDatastore(name: string, manager: ManagerPin): z.input<typeof datastoreConfigSchema> {
  const plan = planDatastores(machinePrograms());
  const missing = (datastores: readonly string[]) => plan.skipped.find((skipped) => skipped.datastores.some((d) => datastores.includes(d)));
  const unavailable = (datastores: readonly string[]) => {
    const skipped = missing(datastores);
    return new BerthError('BERTH_ERR_USAGE', `--datastore ${name} cannot run on this machine: ${skipped?.missing.join(', ') ?? 'its programs are'} not installed`, skipped ? `${skipped.install}, or pass --server-config with its grants` : 'pass --server-config with its grants');
  };
  if (name === 'postgresql') {
    if (!plan.postgresql) throw unavailable(['postgresql']);
    return postgresqlDatastore(plan.postgresql.version, plan.postgresql.binDir, manager);
  }
  if ((MYSQL_FAMILY as readonly string[]).includes(name)) {
    if (!plan.mysqlFamily) throw unavailable(MYSQL_FAMILY);
    return mysqlDatastore(plan.mysqlFamily.version, manager, name as (typeof MYSQL_FAMILY)[number]);
  }
  if (name === 'redis') {
    if (!plan.redis) throw unavailable(['redis']);
    return redisDatastore(plan.redis.version, plan.redis.redisServer, manager);
  }
  if (name === 'directory') return directoryDatastore(manager);
  throw new BerthError(
    'BERTH_ERR_USAGE',
    `--datastore ${name} is not one Berth knows how to grant (postgresql, mysql, mariadb, percona, redis, directory)`,
    `pass --server-config <file> whose [[datastores]] entry named ${name} holds its local grants (programs, ports, secrets, connections)`,
  );
}
