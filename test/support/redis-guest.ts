import { createHash, randomBytes } from 'node:crypto';
import { OPERATION_ARGUMENTS } from '../../server/conformance/operation-arguments.js';
import { createServer as createHttpServer } from 'node:http';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { stringify } from 'smol-toml';
import type { OperationName } from '../../datastores/sdk/operations.js';
import { buildManager, type BuildResult } from '../../datastores/toolchain/build.js';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import type { CastParams, MethodResult } from '../../host/rpc/protocol.js';
import { GuestHub } from '../../server/rpc/guest-hub.js';
import { runHost, TOKEN, until } from './guest-host.js';
import { describeComponent } from '../../host/component/describe.js';

export const REDIS_SERVER = '/usr/bin/redis-server';
/** The mount point as the manager sees it; the host maps it to a temporary directory. */
export const GUEST_MOUNT = '/var/lib/redis';

type Cleanups = Array<() => Promise<unknown>>;
export type CallOutcome = MethodResult<'guest.call'>;
export type ServiceStatus = CastParams<'guest.heartbeat'>['status'];

/** datastores/redis/manager.ts through the content-hashed build cache. */
export function buildRedisManager(): Promise<BuildResult> {
  return buildManager({ describe: describeComponent, entry: join(PACKAGE_ROOT, 'datastores', 'redis', 'manager.ts'), backend: 'quickjs' });
}

/** Tests run real redis-server processes: a machine without one fails them, it does not skip them. */
export function requireRedisServer(): void {
  if (!existsSync(REDIS_SERVER)) throw new Error(`${REDIS_SERVER} is missing: install redis-server (apt-get install redis-server) to run the Redis manager tests`);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** redis-server processes listening on `port`: daemonized, they retitle themselves "redis-server 127.0.0.1:<port>". */
function redisProcessesOn(port: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (cmdline.startsWith('redis-server') && cmdline.endsWith(`:${port}`)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

/** True when nothing listens on the port (a connection is refused). */
export function portRefuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/** A backup as the server's store keeps it. */
export interface StoredBackup {
  data: Buffer;
  sha256: string;
}

/**
 * A GuestHub with the guest side of the server's backup store next to it, as
 * the real server has (server/api/routes/guest-artifacts.ts): a host PUTs
 * the artifact its call writes (a backup, a replication snapshot) and GETs
 * the one its call reads, over HTTP on the guest channel's port, with the
 * instance's token. One hub for the guests `ids` (one, inst-1, by default).
 */
export async function startHubWithBackups(backups: Map<string, StoredBackup>, onHeartbeat: (status: ServiceStatus) => void, ids: readonly string[] = ['inst-1']) {
  const hub = new GuestHub({ authenticate: (id, token) => ids.includes(id) && token === TOKEN, onHeartbeat: (_id, heartbeat) => onHeartbeat(heartbeat.status) });
  const http = createHttpServer(async (request, response) => {
    const match = /^\/v1\/guests\/([A-Za-z0-9_-]+)\/artifacts\/([A-Za-z0-9_-]+)$/.exec(request.url ?? '');
    if (!match || !ids.includes(match[1]!) || request.headers.authorization !== `Bearer ${TOKEN}`) return response.writeHead(404).end();
    const id = match[2]!;
    if (request.method === 'PUT') {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const data = Buffer.concat(chunks);
      const sha256 = createHash('sha256').update(data).digest('hex');
      if (sha256 !== request.headers['x-berth-sha256']) return response.writeHead(400).end();
      backups.set(id, { data, sha256 });
      return response.writeHead(200, { 'content-type': 'application/json' }).end('{"stored":true}');
    }
    const stored = backups.get(id);
    if (request.method !== 'GET' || !stored) return response.writeHead(404).end();
    return response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(stored.data.length) }).end(stored.data);
  });
  hub.attach(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as { port: number };
  return {
    hub,
    url: `ws://127.0.0.1:${port}/v1/guests`,
    async close() {
      await hub.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

export interface RedisGuest {
  dir: string;
  /** Host directory behind GUEST_MOUNT. */
  volume: string;
  port: number;
  adminPassword: string;
  hub: GuestHub;
  /** The pid of the guest host process (the latest one started). */
  hostPid(): number;
  /** Start the host again on the same config and state directory (after a test killed it) and wait for it to connect. */
  restartHost(): Promise<void>;
  heartbeats: ServiceStatus[];
  /** What create-backup stored, by backup id. */
  backups: Map<string, StoredBackup>;
  call(operation: OperationName, args?: unknown[], deadlineMs?: number): Promise<CallOutcome>;
  /** Wait for the host's own heartbeat probe to report `status`. */
  heartbeat(status: ServiceStatus, timeoutMs?: number): Promise<void>;
  /** The pid redis-server wrote, if its pid file is there. */
  pid(): number | undefined;
  /** A real client, closed by the clean-up. */
  client(password?: string): Redis;
}

export interface RedisGuestSettings {
  /** Another manager than datastores/redis (a hostile one), built from this entry. */
  entry?: string;
  /** The port of the option and the grant; a free one by default. */
  port?: number;
  /** Guest options over the defaults (mount point, free port, a random admin password). */
  options?: Record<string, unknown>;
  /** The backup store, to share one between guests (a restore on a new guest). */
  backups?: Map<string, StoredBackup>;
  /** The URL the host dials instead of the hub's (a proxy in front of it: network-cut tests). */
  dialThrough?(hubUrl: string): Promise<string>;
  /** A last change to the guest config before the host reads it. */
  editConfig?(config: { options: Record<string, unknown>; grants: Record<string, unknown> }): void;
}

/**
 * A real `berth host` running the Redis manager against a hub in this test,
 * with a free port, a temporary mount point and the grants the manager asks
 * for. The clean-up stops the host, then SIGKILLs every redis-server on the
 * port (by its pid file and by process title, so a failed test leaves none),
 * then removes the directory.
 */
export async function startRedisGuest(cleanups: Cleanups, settings: RedisGuestSettings = {}): Promise<RedisGuest> {
  requireRedisServer();
  const built = settings.entry ? await buildManager({ describe: describeComponent, entry: settings.entry, backend: 'quickjs' }) : await buildRedisManager();
  const heartbeats: ServiceStatus[] = [];
  const backups = settings.backups ?? new Map<string, StoredBackup>();
  const server = await startHubWithBackups(backups, (status) => heartbeats.push(status));
  cleanups.push(() => server.close());

  const dir = await mkdtemp(join(tmpdir(), 'berth-redis-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const volume = join(dir, 'volume');
  await mkdir(volume);
  const wasm = join(dir, 'redis.wasm');
  await writeFile(wasm, built.bytes);
  const port = settings.port ?? (await freePort());
  const adminPassword = randomBytes(18).toString('hex');

  const pid = () => {
    try {
      return Number(readFileSync(join(volume, 'redis.pid'), 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  cleanups.push(async () => {
    const pids = new Set([pid(), ...redisProcessesOn(port)].filter((p): p is number => p !== undefined && alive(p)));
    for (const p of pids) process.kill(p, 'SIGKILL');
    await until(() => [...pids].every((p) => !alive(p)), 'redis-server to die', 5000);
  });

  const config = {
    guest: { instance_id: 'inst-1', server_url: settings.dialThrough ? await settings.dialThrough(server.url) : server.url, token: TOKEN },
    manager: { path: wasm, sha256: built.sha256 },
    options: { mount_point: GUEST_MOUNT, port, admin_password: adminPassword, ...settings.options } as Record<string, unknown>,
    grants: {
      directories: [{ host: volume, guest: GUEST_MOUNT, access: 'read-write' }],
      programs: [REDIS_SERVER],
      connections: { admin: { kind: 'redis', url: `redis://berth:${adminPassword}@127.0.0.1:${port}` } },
    } as Record<string, unknown>,
    // the host gives each heartbeat's probe half the interval: room for the connection thread's start-up
    host: { report_interval: 2, call_timeout: 10, slow_call_timeout: 90, spool_dir: join(dir, 'spool'), state_dir: join(dir, 'state') },
  };
  settings.editConfig?.(config);
  const configPath = join(dir, 'guest.toml');
  await writeFile(configPath, stringify(config));
  let host = runHost(configPath, cleanups);
  // REDIS_GUEST_DEBUG=1 prints the host's log (the manager's lines included) when the test ends
  if (process.env.REDIS_GUEST_DEBUG) cleanups.push(async () => console.error(host.stderr()));
  await until(() => server.hub.isConnected('inst-1') || host.child.exitCode !== null, 'the host to connect', 30_000);
  if (!server.hub.isConnected('inst-1')) throw new Error(`berth host exited: ${host.stderr()}`);

  const clients: Redis[] = [];
  cleanups.push(async () => {
    for (const client of clients) client.disconnect();
  });
  return {
    dir,
    volume,
    port,
    adminPassword,
    hub: server.hub,
    hostPid: () => host.child.pid!,
    async restartHost() {
      host = runHost(configPath, cleanups);
      await until(() => server.hub.isConnected('inst-1') || host.child.exitCode !== null, 'the restarted host to connect', 30_000);
      if (!server.hub.isConnected('inst-1')) throw new Error(`berth host exited: ${host.stderr()}`);
    },
    heartbeats,
    backups,
    call: (operation, args = [], deadlineMs = 60_000) => server.hub.call('inst-1', operation, args, deadlineMs),
    pid,
    async heartbeat(status, timeoutMs = 20_000) {
      await until(() => heartbeats.at(-1) === status, `a ${status} heartbeat`, timeoutMs).catch((error: Error) => {
        throw new Error(`${error.message}; the heartbeats said ${heartbeats.join(', ') || 'nothing'}`);
      });
    },
    client(password) {
      // RESP2 and no ready check: ioredis's HELLO and INFO would fail (NOAUTH) before a test could see how the server answers
      const client = new Redis({ host: '127.0.0.1', port, password, protocol: 2, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
      client.on('error', () => undefined);
      clients.push(client);
      return client;
    },
  };
}

/** Arguments of `prepare` with nothing but what a test sets. */
export function prepareRequest(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(OPERATION_ARGUMENTS.prepare[0] as Record<string, unknown>), ...fields };
}
