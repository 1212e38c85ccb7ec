import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'smol-toml';
import type { OperationName } from '../../datastores/sdk/operations.js';
import { buildManager } from '../../datastores/toolchain/build.js';
import { describeComponent } from '../../host/component/describe.js';
import { lookupUser } from '../../host/os-user.js';
import type { MethodResult } from '../../host/rpc/protocol.js';
import { freePort } from '../../server/provisioning/local-machine.js';
import { mysqlDatastore } from '../../server/registry/builtin-datastores.js';
import { runHost, TOKEN, until } from './guest-host.js';
import { startHubWithBackups, type StoredBackup } from './redis-guest.js';
import { MYSQL_MANAGER, requireMariadb } from './mariadb-programs.js';

type Cleanups = Array<() => Promise<unknown>>;
export type CallOutcome = MethodResult<'guest.call'>;

export interface MysqlGuest {
  id: string;
  /** The guest's own directory (volume, spool, state): every process of the guest works under it. */
  dir: string;
  volume: string;
  port: number;
  /** os_admin's (shared by every guest here, as a replica shares its primary's). */
  adminPassword: string;
  call(operation: OperationName, args?: unknown[], deadlineMs?: number): Promise<CallOutcome>;
  /** The host's log (the manager's lines included). */
  log(): string;
  /** The guest host's pid. */
  hostPid(): number | undefined;
}

/** mariadbd's pid from the pid file in the volume, if it is there. */
function mariadbdPid(volume: string): number | undefined {
  try {
    return Number(readFileSync(join(volume, 'run', 'mysqld.pid'), 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Real `berth host`s running the MySQL manager, each with its own volume,
 * free port and grants as the local provisioner gives them (run as the
 * mysql user when the tests run as root: mariadbd refuses root), all
 * sharing one admin password (a replica gets its primary's local secrets)
 * and one hub with its artifact store; `options[i]` adds to guest i's
 * options. The clean-up stops the hosts, then
 * SIGKILLs each mariadbd by its pid file, then removes the directories.
 */
export async function startMysqlGuests(
  cleanups: Cleanups,
  count: number,
  options: ReadonlyArray<Record<string, unknown>> = [],
  /** Replaces the program grant (a test's wrapper in place of a real program). */
  withPrograms: (programs: string[]) => string[] = (programs) => programs,
): Promise<{ guests: MysqlGuest[]; artifacts: Map<string, StoredBackup> }> {
  requireMariadb({ mariabackup: true });
  const built = await buildManager({ describe: describeComponent, entry: MYSQL_MANAGER.entry, backend: 'quickjs' });
  const ids = Array.from({ length: count }, (_, i) => `inst-${i + 1}`);
  const artifacts = new Map<string, StoredBackup>();
  const server = await startHubWithBackups(artifacts, () => undefined, ids);
  cleanups.push(() => server.close());
  const adminPassword = randomBytes(18).toString('hex');
  const user = process.getuid?.() === 0 ? lookupUser('mysql') : undefined;
  const programs = withPrograms(mysqlDatastore('10.11', { path: '/unused', sha256: '0'.repeat(64) }).local?.programs ?? []);

  const guests: MysqlGuest[] = [];
  for (const [index, id] of ids.entries()) {
    const dir = await mkdtemp(join(tmpdir(), 'berth-mysql-repl-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    chmodSync(dir, 0o711);
    const volume = join(dir, 'volume');
    for (const own of ['volume', 'spool', 'state']) {
      await mkdir(join(dir, own), { mode: 0o700 });
      if (user) chownSync(join(dir, own), user.uid, user.gid);
    }
    cleanups.push(async () => {
      const pid = mariadbdPid(volume);
      if (pid === undefined) return;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
      await until(() => mariadbdPid(volume) === undefined || !isAlive(pid), 'mariadbd to die', 10_000).catch(() => undefined);
    });
    const wasm = join(dir, 'mysql.wasm');
    await writeFile(wasm, built.bytes);
    const port = await freePort();
    const config = {
      guest: { instance_id: id, server_url: server.url, token: TOKEN },
      manager: { path: wasm, sha256: built.sha256 },
      options: { mount_point: volume, port, admin_password: adminPassword, start_timeout: 120, ...options[index] },
      grants: {
        directories: [{ host: volume, guest: volume, access: 'read-write' }],
        programs,
        connections: { admin: { kind: 'mysql', url: `mysql://os_admin:${adminPassword}@127.0.0.1:${port}/mysql`, secure_file_priv: `${volume}/secure-file-priv` } },
      },
      host: { report_interval: 2, call_timeout: 30, slow_call_timeout: 300, spool_dir: join(dir, 'spool'), state_dir: join(dir, 'state'), ...(user ? { run_as: user.name } : {}) },
    };
    const configPath = join(dir, 'guest.toml');
    await writeFile(configPath, stringify(config), { mode: 0o600 });
    const host = runHost(configPath, cleanups);
    await until(() => server.hub.isConnected(id) || host.child.exitCode !== null, `host ${id} to connect`, 60_000);
    if (!server.hub.isConnected(id)) throw new Error(`berth host ${id} exited: ${host.stderr()}`);
    guests.push({ id, dir, volume, port, adminPassword, call: (operation, args = [], deadlineMs = 120_000) => server.hub.call(id, operation, args, deadlineMs), log: host.stderr, hostPid: () => host.child.pid });
  }
  return { guests, artifacts };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
