import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { hostname } from 'node:os';
import { BerthError } from '../../datastores/errors/berth-error.js';
import type { OperationName } from '../../datastores/sdk/operations.js';
import { describeComponent } from '../../host/component/describe.js';
import { CheckLog, type CheckResult } from './checks.js';
import type { ConformanceTimeouts, ScenarioContext } from './context.js';
import { waitForStatus } from './context.js';
import { conformanceDatastore } from './datastore-config.js';
import { accessChecks, databaseChecks, rootChecks, userChecks } from './groups-accounts.js';
import { configurationChecks, filesystemChecks, guestLogChecks, restartChecks } from './groups-instance.js';
import { backupChecks, writeMarker } from './group-backup.js';
import { deleteChecks } from './group-delete.js';
import { prepareAgainChecks } from './group-prepare-again.js';
import { documentedErrorChecks } from './group-errors.js';
import { startPrivateServer } from './private-server.js';
import { probeFor } from './probes.js';
import { ProcessWatch } from './process-watch.js';
import { operationMatrix, type OperationRow } from './matrix.js';
import { unclaimedChecks } from './unsupported.js';

export interface ConformanceOptions {
  managerPath: string;
  datastore: string;
  /** A server config whose datastore of this name holds the grants (else Berth's own for the built-in datastores). */
  serverConfig?: string;
  /** Commands for the data checks of a datastore Berth has no driver for. */
  probe?: { write?: string; read?: string };
  timeouts?: Partial<ConformanceTimeouts>;
  /** Keep the private server's data directory (instances' logs) for a look afterwards. */
  keep?: boolean;
  onResult?(result: CheckResult): void;
}

export interface ConformanceReport {
  manager: { name: string; version: string; sha256: string; file: string };
  datastore: string;
  machine: { hostname: string; node: string };
  started: string;
  seconds: number;
  passed: boolean;
  operations: OperationRow[];
  checks: CheckResult[];
  dataDir?: string;
}

/**
 * The standard scenario against one manager and a real datastore, on a
 * private server: create, every group the manifest claims (databases, users,
 * access, root, data with the probe, configuration, guest logs, filesystem
 * stats, backup and restore into a new instance, restart, stop and start),
 * every unclaimed operation answering unsupported, and delete leaving nothing.
 */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const started = Date.now();
  const bytes = await readFile(options.managerPath).catch((error: NodeJS.ErrnoException) => {
    throw new BerthError('BERTH_ERR_USAGE', `cannot read the manager ${options.managerPath}: ${error.code ?? error.message}`, 'pass the path of a .wasm built with `berth build`');
  });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const manifest = await describeComponent(bytes, options.managerPath);
  if (!manifest.datastores.includes(options.datastore)) {
    throw new BerthError('BERTH_ERR_USAGE', `${manifest.name} manages ${manifest.datastores.join(', ')}, not ${options.datastore}`, `pass --datastore ${manifest.datastores[0] ?? '<name>'}`);
  }
  const probe = probeFor(options.datastore, options.probe);
  const datastore = conformanceDatastore(options.datastore, { path: resolve(options.managerPath), sha256 }, options.serverConfig);
  const server = await startPrivateServer(datastore, { keep: options.keep });
  const log = new CheckLog(options.onResult);
  const claims = new Set<OperationName>(manifest.operations);
  const timeouts: ConformanceTimeouts = { activeMs: 300_000, taskMs: 180_000, ...options.timeouts };
  const context: ScenarioContext = { server, client: server.client, datastore: options.datastore, claims, probe, log, timeouts, instanceId: '', markers: [] };
  const watches = new Map<string, ProcessWatch>();
  const watch = (id: string) => watches.set(id, new ProcessWatch(server.instanceDir(id), id));
  try {
    const active = await log.run('lifecycle', 'prepare', 'create reaches ACTIVE', async () => {
      const { instance } = await server.client.createInstance({ name: 'conformance', datastore: { type: options.datastore } });
      context.instanceId = instance.id;
      watch(instance.id);
      await waitForStatus(context, instance.id, ['ACTIVE'], timeouts.activeMs);
    });
    if (active) {
      await databaseChecks(context);
      await userChecks(context);
      await accessChecks(context);
      await documentedErrorChecks(context);
      await rootChecks(context, 'enable');
      await writeMarker(context);
      await prepareAgainChecks(context);
      await configurationChecks(context);
      await guestLogChecks(context);
      await filesystemChecks(context);
      const restored = await backupChecks(context, watch);
      await restartChecks(context);
      await unclaimedChecks(context);
      await rootChecks(context, 'disable');
      if (restored) await deleteChecks(context, restored, watches.get(restored)!, 'the restored instance');
    }
    if (context.instanceId) await deleteChecks(context, context.instanceId, watches.get(context.instanceId)!, 'the instance');
  } finally {
    for (const one of watches.values()) one.stop();
    await server.close();
  }
  return {
    manager: { name: manifest.name, version: manifest.version, sha256, file: options.managerPath },
    datastore: options.datastore,
    machine: { hostname: hostname(), node: process.version },
    started: new Date(started).toISOString(),
    seconds: Math.round((Date.now() - started) / 100) / 10,
    passed: log.failed().length === 0,
    operations: operationMatrix(claims, log.results),
    checks: log.results,
    ...(options.keep ? { dataDir: server.dataDir } : {}),
  };
}
