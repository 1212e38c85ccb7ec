import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'smol-toml';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildManager, type BuildResult } from '../../datastores/toolchain/build.js';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { describeComponent } from '../../host/component/describe.js';
import { alive, freePort, prepareRequest } from '../support/redis-guest.js';
import { runHost, startHub, TOKEN, until } from '../support/guest-host.js';

const ETCD = '/usr/bin/etcd';
const ETCDCTL = '/usr/bin/etcdctl';
/** The mount point as the manager sees it; the host maps it to a temporary directory, so the manager must not hand etcd guest paths. */
const GUEST_MOUNT = '/var/lib/etcd';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let built: BuildResult;
beforeAll(async () => {
  // the tests run the real etcd: a machine without it fails them, it does not skip them
  for (const program of [ETCD, ETCDCTL]) if (!existsSync(program)) throw new Error(`${program} is missing: apt-get install etcd-server etcd-client`);
  built = await buildManager({ describe: describeComponent, entry: join(PACKAGE_ROOT, 'datastores', 'examples', 'etcd', 'manager.ts'), backend: 'quickjs' });
});

/** A guest config for the etcd example on a temporary volume, and a way to start `berth host` on it (again). */
async function etcdGuest() {
  const server = await startHub({});
  cleanups.push(() => server.close());
  const dir = await mkdtemp(join(tmpdir(), 'berth-etcd-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const volume = join(dir, 'volume');
  await mkdir(volume);
  const wasm = join(dir, 'etcd.wasm');
  await writeFile(wasm, built.bytes);
  const port = await freePort();
  const peerPort = await freePort();
  const etcdPid = () => (existsSync(join(volume, 'etcd.pid')) ? Number(readFileSync(join(volume, 'etcd.pid'), 'utf8').trim()) : undefined);
  const pids = new Set<number>();
  cleanups.push(async () => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await until(() => [...pids].every((pid) => !alive(pid)), 'etcd to die', 5000);
  });
  const config = {
    guest: { instance_id: 'inst-1', server_url: server.url, token: TOKEN },
    manager: { path: wasm, sha256: built.sha256 },
    options: { mount_point: GUEST_MOUNT, port, peer_port: peerPort, admin_password: 'admin-secret' },
    grants: { directories: [{ host: volume, guest: GUEST_MOUNT, access: 'read-write' }], programs: [ETCD, ETCDCTL, '/usr/bin/sleep', '/usr/bin/df'] },
    host: { report_interval: 2, call_timeout: 20, slow_call_timeout: 90, spool_dir: join(dir, 'spool'), state_dir: join(dir, 'state') },
  };
  const configPath = join(dir, 'guest.toml');
  await writeFile(configPath, stringify(config));
  return {
    volume,
    etcdPid() {
      const pid = etcdPid();
      if (pid !== undefined) pids.add(pid);
      return pid;
    },
    async startHost() {
      const host = runHost(configPath, cleanups);
      await until(() => server.hub.isConnected('inst-1') || host.child.exitCode !== null, 'the host to connect', 30_000);
      if (!server.hub.isConnected('inst-1')) throw new Error(`berth host exited: ${host.stderr()}`);
      return {
        host,
        call: (operation: Parameters<typeof server.hub.call>[1], args: unknown[] = []) => server.hub.call('inst-1', operation, args, 90_000),
        async stop() {
          host.child.kill('SIGTERM');
          await host.exited;
          await until(() => !server.hub.isConnected('inst-1'), 'the host to disconnect', 10_000);
        },
      };
    },
    etcdctl(args: string[]): { code: number; stdout: string } {
      try {
        return { code: 0, stdout: execFileSync(ETCDCTL, ['--endpoints', `http://127.0.0.1:${port}`, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
      } catch (error) {
        return { code: (error as { status: number }).status, stdout: '' };
      }
    },
  };
}

describe('the etcd example manager (datastores/examples/etcd) under a real berth host', () => {
  it('spawns etcd, turns auth on for root, is stopped by its handle, and comes back after a host restart with its data', async () => {
    const guest = await etcdGuest();
    const first = await guest.startHost();
    expect(await first.call('status')).toEqual({ ok: 'new' });
    expect(await first.call('prepare', [prepareRequest({ rootPassword: 'first-root' })])).toEqual({ ok: undefined });
    expect(await first.call('status')).toEqual({ ok: 'running' });
    const spawned = guest.etcdPid();
    expect(spawned && alive(spawned)).toBe(true);
    // root is etcd auth: an anonymous client is refused, root logs in with the password prepare was given
    expect(await first.call('is-root-enabled')).toEqual({ ok: true });
    expect(guest.etcdctl(['get', 'greeting']).code).not.toBe(0);
    expect(guest.etcdctl(['--user', 'root:first-root', 'put', 'greeting', 'hello']).code).toBe(0);
    expect(await first.call('enable-root', [undefined])).toMatchObject({ err: { tag: 'invalid-argument', val: { field: 'password' } } });

    // a host that stops ends etcd (no connection grant marks it as the datastore)
    await first.stop();
    await until(() => !alive(spawned!), 'the stopping host to end etcd', 10_000);

    // the next host finds a pid file that is not its own: status says crashed, its autostart spawns etcd again
    const second = await guest.startHost();
    await until(() => guest.etcdPid() !== spawned, 'the autostart to spawn etcd again', 60_000);
    const respawned = guest.etcdPid()!;
    await until(() => guest.etcdctl(['--user', 'root:first-root', 'get', 'greeting', '--print-value-only']).stdout.trim() === 'hello', 'etcd to serve the data again', 60_000);
    expect(await second.call('status')).toEqual({ ok: 'running' });

    // stop-db signals the spawned etcd by its handle and waits until it ended
    expect(await second.call('stop-db', [true])).toEqual({ ok: undefined });
    expect(alive(respawned)).toBe(false);
    expect(existsSync(join(guest.volume, 'etcd.pid'))).toBe(false);
    expect(await second.call('status')).toEqual({ ok: 'shutdown' });
    expect(await second.call('start-db-with-conf-changes', ['max-txn-ops: 10'])).toMatchObject({ err: { tag: 'invalid-argument', val: { field: 'config-contents' } } });
    expect(await second.call('start-db-with-conf-changes', [''])).toEqual({ ok: undefined });
    expect(alive(guest.etcdPid()!)).toBe(true);

    // disable-root: auth off, anyone on the port may use etcd again
    expect(await second.call('disable-root')).toEqual({ ok: undefined });
    expect(await second.call('is-root-enabled')).toEqual({ ok: false });
    expect(guest.etcdctl(['get', 'greeting', '--print-value-only']).stdout.trim()).toBe('hello');
  });
});
