import type { ServiceStatus } from 'berth:datastore/types@0.2.0';
import { CapabilityError, ManagerError, type SpawnedStatus } from '../../sdk/index.js';
import { health } from './etcdctl.js';
import { layoutOf, type EtcdContext } from './options.js';
import { waitFor } from './wait.js';

export const ETCD = 'etcd';

/** The single-member cluster's command line: everything on 127.0.0.1, the data directory relative to the mount point. */
function etcdArguments(ctx: EtcdContext): string[] {
  const { port, peer_port: peer } = ctx.options;
  const client = `http://127.0.0.1:${port}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  return [
    '--name', 'default',
    '--data-dir', layoutOf(ctx).dataDir,
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peerUrl,
    '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `default=${peerUrl}`,
  ];
}

export function clusterArguments(ctx: EtcdContext): string[] {
  const peerUrl = `http://127.0.0.1:${ctx.options.peer_port}`;
  return ['--name', 'default', '--initial-cluster', `default=${peerUrl}`, '--initial-advertise-peer-urls', peerUrl];
}

/** The handle spawn returned, kept in a file: every lane (and the next call) must find it. */
function savedPid(ctx: EtcdContext): number | undefined {
  const path = layoutOf(ctx).pidFile;
  if (!ctx.files.exists(path)) return undefined;
  const pid = Number(ctx.files.readText(path).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * What the host says of the saved handle; undefined when this host run did
 * not spawn it (a pid file from before a host restart, whose etcd the
 * stopping host ended).
 */
function spawnedStatus(ctx: EtcdContext, pid: number): SpawnedStatus | undefined {
  try {
    return ctx.exec.status(pid);
  } catch (thrown) {
    if (thrown instanceof CapabilityError && thrown.value.tag === 'denied') return undefined;
    throw thrown;
  }
}

function running(ctx: EtcdContext): { pid: number } | undefined {
  const pid = savedPid(ctx);
  if (pid === undefined) return undefined;
  return spawnedStatus(ctx, pid)?.running ? { pid } : undefined;
}

/** The last lines etcd logged, for an error message. */
function logTail(ctx: EtcdContext): string {
  const path = layoutOf(ctx).log;
  if (!ctx.files.exists(path)) return '';
  const size = ctx.files.size(path);
  // etcd logs JSON lines in ASCII; the SDK's public exports have no UTF-8 decoder, and none is needed here
  const text = String.fromCharCode(...ctx.files.readRange(path, Math.max(0, size - 2048), 2048));
  const lines = text.split('\n').filter((line) => line.trim() !== '').slice(-3);
  return lines.length > 0 ? `; its log (${path}) ends: ${lines.join(' | ')}` : '';
}

function refused(ctx: EtcdContext): ManagerError {
  return ManagerError.failed(`etcd on port ${ctx.options.port} refuses the manager's user berth: admin_password is not the password its auth store holds (a restore from another instance's snapshot?)`);
}

/** Spawn etcd unless it is healthy already, then wait until it is. */
export function startEtcd(ctx: EtcdContext): void {
  const layout = layoutOf(ctx);
  const before = health(ctx);
  if (before === 'refused') throw refused(ctx);
  if (before === 'healthy') return;
  let pid = running(ctx)?.pid;
  if (pid === undefined) {
    pid = ctx.exec.spawn(ETCD, etcdArguments(ctx), { log: layout.log, cwd: layout.mountPoint });
    ctx.files.writeText(layout.pidFile, `${pid}\n`);
  }
  const handle = pid;
  waitFor(
    ctx,
    ctx.options.start_timeout * 1000,
    () => {
      const now = health(ctx);
      if (now === 'refused') throw refused(ctx);
      if (now === 'healthy') return true;
      const ended = spawnedStatus(ctx, handle);
      if (ended && !ended.running) {
        const how = ended.signal ? `was ended by ${ended.signal}` : `exited with ${ended.exitCode}`;
        throw ManagerError.failed(`etcd ${how} before it became healthy${logTail(ctx)}`);
      }
      return undefined;
    },
    () => ManagerError.failed(`etcd was not healthy within ${ctx.options.start_timeout} s (option start_timeout)${logTail(ctx)}`),
  );
}

/** SIGTERM to the spawned etcd by its handle (no kill program), then wait until the host has reaped it. */
export function stopEtcd(ctx: EtcdContext): void {
  const layout = layoutOf(ctx);
  const alive = running(ctx);
  if (alive) {
    ctx.exec.signal(alive.pid, 'term');
    waitFor(
      ctx,
      ctx.options.start_timeout * 1000,
      () => (spawnedStatus(ctx, alive.pid)?.running ? undefined : true),
      () => ManagerError.failed(`etcd (pid ${alive.pid}) did not exit within ${ctx.options.start_timeout} s of SIGTERM`),
    );
  } else if (health(ctx) !== 'down') {
    throw ManagerError.failed(`something answers on port ${ctx.options.port} that this guest host did not start, so it cannot stop it: end it on the server`);
  }
  if (ctx.files.exists(layout.pidFile)) ctx.files.remove(layout.pidFile);
}

export function restartEtcd(ctx: EtcdContext): void {
  stopEtcd(ctx);
  startEtcd(ctx);
}

/** Healthy is running; a pid file whose etcd is gone is a crash (a clean stop removes it). */
export function etcdStatus(ctx: EtcdContext): ServiceStatus {
  const layout = layoutOf(ctx);
  const now = health(ctx);
  if (now === 'healthy') return 'running';
  if (now === 'refused') return 'failed';
  if (running(ctx)) return 'blocked';
  if (ctx.files.exists(layout.pidFile)) return 'crashed';
  return ctx.files.exists(`${layout.mountPoint}/${layout.dataDir}`) ? 'shutdown' : 'new';
}
