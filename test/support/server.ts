import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { z } from 'zod';
import { buildManager } from '../../datastores/toolchain/build.js';
import { tokenDigest } from '../../server/api/auth.js';
import { hashPassword } from '../../server/identity/password-hash.js';
import { serverConfigSchema, type ServerConfig } from '../../server/config/server-config.js';
import { LocalProvisioner } from '../../server/provisioning/local.js';
import { startServer, type RunningServer } from '../../server/server.js';
import { buildFixture } from './components.js';
import { hostCommand, testHostIsBundle, testHostNode } from './host-under-test.js';
import { postgresEngine, type Engine } from './databases.js';
import { describeComponent } from '../../host/component/describe.js';

type ConfigInput = z.input<typeof serverConfigSchema>;
type DatastoreInput = NonNullable<ConfigInput['datastores']>[number];
type VersionInput = DatastoreInput['versions'][number];

/** A datastore of the config, its versions naming their manager by its key in `managers`. */
export type TestDatastore<M extends string> = Omit<DatastoreInput, 'versions'> & {
  versions: Array<Omit<VersionInput, 'manager'> & { manager: NoInfer<M> }>;
};

export interface TestServerOptions<M extends string = string> {
  /** Names the temporary data directory (berth-<name>-...) and, with a PostgreSQL store, the database. */
  name: string;
  /** A data directory the test made (and a path in it it already needs); default a fresh one. Removed at clean-up either way. */
  dataDir?: string;
  /** Project name -> its bearer token. */
  projects: Record<string, string>;
  /** Users of the identity endpoint, with their password in clear (the config gets its scrypt hash). */
  users?: Array<{ name: string; password: string; projects: string[] }>;
  /**
   * Managers to build into the data directory, by the key versions name them
   * with: a fixture of test/fixtures/managers, or `{ source }` for a manager
   * written in the test itself, or `{ entry }` for a real manager under datastores/,
   * or `{ prebuilt }`: a component file as it is (.wasm, or .wasm.gz gunzipped), never rebuilt.
   */
  managers: Record<M, ManagerSource>;
  datastores: Array<TestDatastore<M>>;
  timeouts?: ConfigInput['timeouts'];
  /** local (default): guest host processes on this machine; external: the test starts hosts itself. */
  provisioner?: 'local' | 'external';
  /** sqlite (default): a file in the data directory; postgresql: a private database on the machine's PostgreSQL. */
  store?: 'sqlite' | 'postgresql';
  /** Local guests stop with their server (as under `berth up`) instead of being left for the next one. */
  stopGuestsOnClose?: boolean;
  /** How long the local provisioner waits before restarting a guest host that died (default 250 ms). */
  firstRestartDelayMs?: number;
  /** What starts each guest host after `node` (LocalProvisionerOptions.hostCommand; the node is testHostNode()); by default as BERTH_TEST_HOST says. */
  hostCommand?: (configPath: string) => string[];
}

export interface TestServer extends RunningServer {
  /** The local guests of this server, so a test can see their pids; undefined with the external provisioner. */
  provisioner: LocalProvisioner | undefined;
}

export interface TestServerSetup {
  dir: string;
  /** The parsed config every start uses; a test may change it between starts (a restart on the same port). */
  config: ServerConfig;
  /** Starts a server on `config`; call it again after closing one to restart. */
  start(): Promise<TestServer>;
  /** Stops every guest and server started here, drops the PostgreSQL database, removes the data directory. */
  cleanup(): Promise<void>;
}

/** A built manager, as a datastore version pins it. */
interface ManagerPin {
  path: string;
  sha256: string;
}

type ManagerSource = string | { source: string } | { entry: string } | { prebuilt: string };

async function buildInto(dir: string, key: string, manager: ManagerSource): Promise<ManagerPin> {
  const path = join(dir, `${key}.wasm`);
  if (typeof manager === 'object' && 'prebuilt' in manager) {
    const file = await readFile(manager.prebuilt);
    const bytes = manager.prebuilt.endsWith('.gz') ? gunzipSync(file) : file;
    await writeFile(path, bytes);
    return { path, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  if (typeof manager === 'string') {
    const built = await buildFixture(manager, 'quickjs');
    await writeFile(path, built.bytes);
    return { path, sha256: built.sha256 };
  }
  if ('entry' in manager) {
    const built = await buildManager({ describe: describeComponent, entry: manager.entry, backend: 'quickjs', out: path });
    return { path, sha256: built.sha256 };
  }
  const entry = join(dir, `${key}.ts`);
  await writeFile(entry, manager.source);
  const built = await buildManager({ describe: describeComponent, entry, backend: 'quickjs', out: path });
  return { path, sha256: built.sha256 };
}

/** A data directory with the managers built and a config for them; servers start when the test says. */
export async function prepareTestServer<M extends string>(options: TestServerOptions<M>): Promise<TestServerSetup> {
  const dir = options.dataDir ?? (await mkdtemp(join(tmpdir(), `berth-${options.name}-`)));
  const managers = {} as Record<M, ManagerPin>;
  for (const key of Object.keys(options.managers) as M[]) managers[key] = await buildInto(dir, key, options.managers[key]);
  const database: Engine | undefined = options.store === 'postgresql' ? postgresEngine(`berth_${options.name.replace(/\W/g, '_')}`) : undefined;
  const config = serverConfigSchema.parse({
    server: { listen: '127.0.0.1:0', data_dir: dir },
    ...(options.provisioner === 'external' ? { provisioner: { kind: 'external' } } : {}),
    ...(database ? { database: { url: await database.create() } } : {}),
    projects: Object.entries(options.projects).map(([name, token]) => ({ name, tokens_sha256: [tokenDigest(token)] })),
    users: await Promise.all((options.users ?? []).map(async ({ name, password, projects }) => ({ name, password_scrypt: await hashPassword(password), projects }))),
    timeouts: options.timeouts,
    datastores: options.datastores.map((datastore) => ({ ...datastore, versions: datastore.versions.map((version) => ({ ...version, manager: managers[version.manager] })) })),
  } satisfies ConfigInput);

  const started: TestServer[] = [];
  return {
    dir,
    config,
    async start() {
      let running: RunningServer | undefined;
      const provisioner =
        config.provisioner.kind === 'local'
          ? new LocalProvisioner({
              dataDir: dir,
              stopGuestsOnClose: options.stopGuestsOnClose,
              firstRestartDelayMs: options.firstRestartDelayMs,
              hostCommand: options.hostCommand ?? (testHostIsBundle() ? hostCommand : undefined),
              nodePath: testHostNode(),
              cgroupParent: config.provisioner.cgroup_parent,
              onFailed: (instanceId, reason) => running?.guestFailed(instanceId, reason),
            })
          : undefined;
      running = await startServer(config, { provisioner });
      // closing twice (the test, then the clean-up) is harmless
      let closing: Promise<void> | undefined;
      const close = running.close.bind(running);
      const server: TestServer = { ...running, provisioner, close: () => (closing ??= close()) };
      started.push(server);
      return server;
    },
    async cleanup() {
      for (const server of started.splice(0).reverse()) {
        await server.provisioner?.stopAll();
        await server.close();
      }
      await database?.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface StartedTestServer extends TestServerSetup {
  server: TestServer;
}

/** `prepareTestServer`, then one server started on it. */
export async function startTestServer<M extends string>(options: TestServerOptions<M>): Promise<StartedTestServer> {
  const setup = await prepareTestServer(options);
  try {
    return { ...setup, server: await setup.start() };
  } catch (error) {
    await setup.cleanup();
    throw error;
  }
}

/** A response of the REST API; bodies are read loosely because the tests assert on their shape. */
export interface ApiResponse {
  status: number;
  body: any;
}

/** One request to a server's REST API, as the project the token belongs to (null: no token at all). */
export async function apiRequest(serverUrl: string, token: string | null, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const response = await fetch(`${serverUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Polls `probe` until `done` says yes; fails naming `what` and the last value after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000, pollMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
