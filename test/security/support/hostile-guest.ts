import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'smol-toml';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import type { GuestHubOptions } from '../../../server/rpc/guest-hub.js';
import { runHost } from '../../support/guest-host.js';
import { apiRequest, startTestServer, waitFor, type StartedTestServer } from '../../support/server.js';

const TOKEN = 'acme-token-0123456789';

export interface HostileGuest {
  setup: StartedTestServer;
  instanceId: string;
  host: ReturnType<typeof runHost>;
  /** Ends the guest host, then the server. */
  cleanup(): Promise<void>;
}

/**
 * One ACTIVE instance of a hostile manager from test/security/managers, run
 * by a real `berth host` against a real server (external provisioner: the
 * test starts the host, so it can read its output and memory). `seen` hears
 * what the real hub receives from the guest.
 */
export async function startHostileGuest(options: {
  /** Its file under test/security/managers, without .ts. */
  manager: string;
  /** The datastore its manifest says it serves. */
  datastore: string;
  callTimeoutS: number;
  seen?: { heartbeat?(): void; event?(): void };
}): Promise<HostileGuest> {
  const dir = await mkdtemp(join(tmpdir(), `berth-sec-${options.manager}-`));
  const setup = await startTestServer({
    name: `sec-${options.manager}`,
    dataDir: dir,
    provisioner: 'external',
    projects: { acme: TOKEN },
    managers: { hostile: { entry: join(PACKAGE_ROOT, 'test', 'security', 'managers', `${options.manager}.ts`) } },
    timeouts: { report_interval: 0.2, quick_call: 120, heartbeat_expiry: 600 },
    datastores: [{ name: options.datastore, server: { usage_timeout: 60 }, versions: [{ name: '1', manager: 'hostile' }] }],
  });
  const hubOptions = (setup.server.hub as unknown as { options: GuestHubOptions }).options;
  const onHeartbeat = hubOptions.onHeartbeat;
  hubOptions.onHeartbeat = (id, heartbeat) => {
    options.seen?.heartbeat?.();
    onHeartbeat?.(id, heartbeat);
  };
  if (options.seen?.event) hubOptions.onEvent = options.seen.event;
  const created = await apiRequest(setup.server.url, TOKEN, 'POST', '/v1.0/acme/instances', { instance: { name: options.datastore, datastore: { type: options.datastore } } });
  const instanceId = created.body.instance.id as string;
  const config = parse(created.body.guest_config as string) as { host: Record<string, unknown> };
  // the hostile call is quick on a quiet machine, not on a busy one: no deadline in its way
  config.host.call_timeout = options.callTimeoutS;
  const configPath = join(dir, 'guest.toml');
  await writeFile(configPath, stringify(config));
  const cleanups: Array<() => Promise<unknown>> = [];
  const host = runHost(configPath, cleanups);
  await waitFor(() => setup.server.store.instances.getById(instanceId), (r) => r?.status === 'ACTIVE', 'ACTIVE');
  return {
    setup,
    instanceId,
    host,
    async cleanup() {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
      await setup.cleanup();
    },
  };
}
