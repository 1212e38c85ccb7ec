import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenDigest } from '../api/auth.js';
import { ApiClient } from '../cli/api-client.js';
import { serverConfigSchema } from '../config/server-config.js';
import { LocalProvisioner } from '../provisioning/local.js';
import type { ParsedDatastore } from './datastore-config.js';
import { startServer, type RunningServer } from '../server.js';

export interface PrivateServer {
  running: RunningServer;
  client: ApiClient;
  dataDir: string;
  /** <dataDir>/instances/<id>: the instance's guest config, host log, pid file and volume. */
  instanceDir(id: string): string;
  close(): Promise<void>;
}

/**
 * A server of its own for one conformance run: a fresh data directory, a
 * free port on loopback, the local provisioner, one project with a token
 * made here, and the one datastore under test. Closing stops every guest it
 * started and removes the directory (unless asked to keep it).
 */
export async function startPrivateServer(datastore: ParsedDatastore, options: { keep?: boolean; parentDir?: string } = {}): Promise<PrivateServer> {
  const dataDir = await mkdtemp(join(options.parentDir ?? tmpdir(), 'berth-conformance-'));
  const token = randomBytes(24).toString('hex');
  const config = serverConfigSchema.parse({
    server: { listen: '127.0.0.1:0', data_dir: dataDir },
    provisioner: { kind: 'local' },
    projects: [{ name: 'conformance', tokens_sha256: [tokenDigest(token)] }],
  });
  // the datastore is parsed already (a server config's, or a built-in's)
  config.datastores = [datastore];
  let running: RunningServer | undefined;
  const provisioner = new LocalProvisioner({
    dataDir,
    stopGuestsOnClose: true,
    onFailed: (instanceId, reason) => void running?.store.instances.update(instanceId, { status: 'ERROR', fault: reason }).catch(() => undefined),
  });
  try {
    running = await startServer(config, { provisioner, stopGuestsOnClose: true });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const started = running;
  const client = new ApiClient({ url: started.url, project: 'conformance', token, tokenSource: 'the conformance run' });
  return {
    running: started,
    client,
    dataDir,
    instanceDir: (id) => join(dataDir, 'instances', id),
    async close() {
      await started.close();
      if (!options.keep) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
