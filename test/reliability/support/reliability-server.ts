import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { runHost } from '../../support/guest-host.js';
import { apiRequest, startTestServer, waitFor, type StartedTestServer } from '../../support/server.js';

export const PROJECTS = { acme: 'acme-token-0123456789abcdef', other: 'other-token-0123456789abcdef' } as const;
export type Project = keyof typeof PROJECTS;

export interface ReliabilityServer extends StartedTestServer {
  /** The counter datastore's guest volume. */
  volume: string;
  api(project: Project, method: string, path: string, body?: unknown): ReturnType<typeof apiRequest>;
}

/** A real server (external provisioner: the test starts hosts itself) with two projects and the counter datastore. */
export async function startReliabilityServer(name: string): Promise<ReliabilityServer> {
  const dir = await mkdtemp(join(tmpdir(), `berth-${name}-`));
  const volume = join(dir, 'volume');
  await mkdir(volume, { recursive: true });
  const setup = await startTestServer({
    name,
    dataDir: dir,
    provisioner: 'external',
    projects: { ...PROJECTS },
    managers: { counter: 'counter' },
    timeouts: { report_interval: 0.2, quick_call: 10 },
    datastores: [{ name: 'counter', server: { usage_timeout: 600 }, guest: { mount_point: volume }, default_version: '1', versions: [{ name: '1', manager: 'counter' }] }],
  });
  return { ...setup, volume, api: (project, method, path, body) => apiRequest(setup.server.url, PROJECTS[project], method, `/v1.0/${project}${path}`, body) };
}

export interface CreatedInstance {
  id: string;
  /** The instance's guest token, from the guest config the external provisioner returns once. */
  token: string;
  guestConfig: string;
}

export async function createInstance(server: ReliabilityServer, project: Project, name: string): Promise<CreatedInstance> {
  const created = await server.api(project, 'POST', '/instances', { instance: { name, datastore: { type: 'counter' } } });
  if (created.status !== 200) throw new Error(`creating ${name}: ${JSON.stringify(created.body)}`);
  const guestConfig = created.body.guest_config as string;
  const { guest } = parse(guestConfig) as { guest: { token: string } };
  return { id: created.body.instance.id as string, token: guest.token, guestConfig };
}

/** A real `berth host` for the instance, and the instance ACTIVE. */
export async function runGuest(server: ReliabilityServer, project: Project, instance: CreatedInstance, cleanups: Array<() => Promise<unknown>>): Promise<ReturnType<typeof runHost>> {
  const configPath = join(server.dir, `guest-${instance.id}.toml`);
  await writeFile(configPath, instance.guestConfig);
  const host = runHost(configPath, cleanups);
  await waitFor(
    () => server.api(project, 'GET', `/instances/${instance.id}`),
    (response) => response.body?.instance?.status === 'ACTIVE',
    `instance ${instance.id} to turn ACTIVE`,
  );
  return host;
}
