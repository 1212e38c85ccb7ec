import { FlavorCatalog } from './flavors/flavor-catalog.js';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from './api/app.js';
import { ProjectAuth, tokenDigest } from './api/auth.js';
import type { ServerConfig } from './config/server-config.js';
import { InstanceService } from './instances/instance-service.js';
import { BackupService } from './backups/backup-service.js';
import { ConfigurationService } from './configurations/configuration-service.js';
import { DirectoryBackupStore } from './backups/directory-store.js';
import { GuestLogService } from './guest-logs/guest-log-service.js';
import { PublicationStore } from './guest-logs/publication-store.js';
import { StatusMonitor } from './instances/status-monitor.js';
import { LeaseKeeper, leaseTimings, type WriteLeases } from './instances/write-leases.js';
import { AutoFailover } from './instances/auto-failover.js';
import { failureOf } from './instances/manager-errors.js';
import { TaskRunner } from './instances/task-runner.js';
import { ExternalProvisioner } from './provisioning/external.js';
import { LocalProvisioner } from './provisioning/local.js';
import { checkLocalGrants } from './provisioning/local-grants.js';
import { logContainment } from './provisioning/instance-cgroup.js';
import type { Provisioner } from './provisioning/provisioner.js';
import { ManifestCatalog } from './registry/manifests.js';
import { LogThrottle } from '../host/rpc/log-throttle.js';
import { DatastoreRegistry } from './registry/registry.js';
import { GuestHub } from './rpc/guest-hub.js';
import { openStore } from './store/kysely-store.js';
import type { Store } from './store/store.js';

export interface RunningServer {
  /** http://host:port of the REST API. */
  url: string;
  /** ws://host:port/v1/guests, what guests dial. */
  guestUrl: string;
  api: FastifyInstance;
  store: Store;
  hub: GuestHub;
  /** The replication sources' write leases, for failover: after expiredAt(id) the source refuses writes. */
  leases: WriteLeases;
  /** What a local provisioner's onFailed calls: the instance shows ERROR with the reason, unless an upgrade is waiting on that host (it rolls back). */
  guestFailed(instanceId: string, reason: string): void;
  close(): Promise<void>;
}

export interface StartServerOptions {
  provisioner?: Provisioner;
  logger?: boolean;
  /** Local guests stop with the server (a first run) instead of waiting for the next one. */
  stopGuestsOnClose?: boolean;
}

/**
 * The control plane in one process: registry and manifests, the store, the
 * guest hub, tasks resumed from before a restart, the status monitor, and the
 * REST API with the guest channel on the same port.
 */
export async function startServer(config: ServerConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  const registry = new DatastoreRegistry(config.datastores);
  const manifests = await ManifestCatalog.load(registry);
  const dataDir = config.server.data_dir ?? join(homedir(), '.berth');
  // with the local provisioner, a datastore whose [datastores.local] block lacks a grant its manager asks for fails the start, not each create
  const local = options.provisioner ? (options.provisioner instanceof LocalProvisioner ? options.provisioner : undefined) : config.provisioner.kind === 'local' ? 'default' : undefined;
  if (local) checkLocalGrants(registry, (version) => manifests.of(version), local === 'default' ? {} : local.extraGrants, dataDir);
  mkdirSync(dataDir, { recursive: true });
  const store = await openStore(config.database?.url ?? `sqlite:${join(dataDir, 'berth.db')}`);
  const { timeouts } = config;
  const monitor = new StatusMonitor(store, {
    heartbeatExpiryMs: timeouts.heartbeat_expiry * 1000,
    checkEveryMs: Math.min(5000, timeouts.report_interval * 1000),
    clockSkewMs: timeouts.clock_skew * 1000,
    onFencedHeartbeat: (instance) => void instancesRef?.replication.fenceReturned(instance),
    onChange: (instance) => {
      if (instance.status === 'ERROR') void failover?.consider(instance.id);
    },
  });
  let failover: AutoFailover | undefined;
  const authenticateGuest = async (instanceId: string, token: string) => {
    const instance = await store.instances.getById(instanceId);
    return instance !== undefined && instance.status !== 'DELETED' && instance.tokenSha256 === tokenDigest(token);
  };
  // the API's logger exists only once the API is built; a guest's bad frames are logged through it, throttled like the host's
  let logProtocolError: (instanceId: string | undefined, message: string) => void = () => undefined;
  let logLeaseError: (instanceId: string, error: unknown) => void = () => undefined;
  const hub = new GuestHub({
    authenticate: authenticateGuest,
    onProtocolError: (instanceId, message) => logProtocolError(instanceId, message),
    reportIntervalMs: timeouts.report_interval * 1000,
    clockSkewMs: timeouts.clock_skew * 1000,
    onHeartbeat: (instanceId, heartbeat) => void monitor.onHeartbeat(instanceId, heartbeat).catch(() => undefined),
    onDisconnect: (instanceId) => instancesRef?.replication.guestGone(instanceId),
    onConnect: (instanceId) => leases.guestConnected(instanceId),
  });
  // every replication source's guest fences itself when it cannot hear the server (write-leases.ts, host/write-lease.ts)
  const leases = new LeaseKeeper({ store, hub, ...leaseTimings(timeouts), onError: (instanceId, error) => logLeaseError(instanceId, error) });
  const runner = new TaskRunner(store, hub);
  let instancesRef: InstanceService | undefined;
  // a replica's prepare is followed by its seeding (replica-links.ts): BUILD until it is attached
  runner.onSucceeded('prepare', async (task) => {
    await monitor.onPrepared(task.instanceId);
    await instancesRef?.replicaLinks.seed(task.instanceId);
  });
  runner.onFinished('restart', (task, _args, ending) => monitor.onRestartEnded(task.instanceId, failureOf(ending, 'restart')));
  const [host, port] = config.server.listen.split(':') as [string, string];
  let guestUrl = config.server.guest_url ?? `ws://${host}:${port}/v1/guests`;
  let upgrades: InstanceService['upgrades'] | undefined;
  const onFailed = (instanceId: string, reason: string) => {
    if (upgrades?.hostFailed(instanceId, reason)) return;
    void store.instances.update(instanceId, { status: 'ERROR', fault: reason }).catch(() => undefined);
  };
  const provisioner = options.provisioner ?? (config.provisioner.kind === 'local' ? new LocalProvisioner({ dataDir, onFailed, stopGuestsOnClose: options.stopGuestsOnClose, cgroupParent: config.provisioner.cgroup_parent }) : new ExternalProvisioner());
  const flavors = new FlavorCatalog(config.flavors);
  let backups: BackupService | undefined;
  let configurations: ConfigurationService | undefined;
  let guestLogs: GuestLogService | undefined;
  const instances = new InstanceService({
    store,
    registry,
    manifests,
    provisioner,
    runner,
    flavors,
    guestUrl: () => guestUrl,
    onDeleted: (instance) => {
      hub.disconnect(instance.id);
      void guestLogs?.forget(instance.id).catch(() => undefined);
    },
    onRestarting: (instanceId) => monitor.onRestartStarted(instanceId),
    waitForManager: (instanceId, sha256, untilMs) => hub.waitForManager(instanceId, sha256, untilMs),
    timeouts: { quickCallMs: timeouts.quick_call * 1000, slowCallMs: timeouts.slow_call * 1000, reportIntervalSeconds: timeouts.report_interval },
    restoreSource: (project, backupId, datastore) => backups!.restoreSource(project, backupId, datastore),
    restoreSecrets: (backupId) => backups!.restoreSecrets(backupId),
    configurationOverrides: (project, configurationId, version) => configurations!.overridesFor(project, configurationId, version),
    replicationSnapshots: {
      open: (source) => backups!.openSnapshot(source),
      complete: (id) => backups!.completeSnapshot(id),
      drop: (id) => backups!.dropSnapshot(id),
    },
    onReplicaAttached: (instanceId) => monitor.onPrepared(instanceId),
    heartbeatExpiryMs: timeouts.heartbeat_expiry * 1000,
  });
  instancesRef = instances;
  failover = new AutoFailover({
    store,
    links: instances.replicaLinks,
    enabled: (instance) => instances.autoFailover(instance),
    sourceReachable: (replicaId, timeoutMs) => hub.sourceReachable(replicaId, timeoutMs),
    fence: (sourceId, fault) => monitor.fenceIfSilent(sourceId, fault),
    heartbeatExpiryMs: timeouts.heartbeat_expiry * 1000,
    checkEveryMs: Math.min(5000, timeouts.report_interval * 1000),
    writeLeases: leases,
  });
  upgrades = instances.upgrades;
  const backupStore = new DirectoryBackupStore(config.backups.path ?? join(dataDir, 'backups'));
  backups = new BackupService({ store, backupStore, instances, runner, maxBackupBytes: config.backups.max_bytes });
  configurations = new ConfigurationService({ store, registry, manifests, instances });
  guestLogs = new GuestLogService({
    instances,
    publications: new PublicationStore(join(dataDir, 'guest-logs')),
    maxPublishBytes: config.guest_logs.max_publish_bytes,
    maxPublications: config.guest_logs.max_publications,
  });
  const api = await buildApi({
    registry,
    manifests,
    auth: new ProjectAuth(config.projects),
    instances,
    backups: { service: backups, authenticateGuest },
    configurations,
    flavors,
    guestLogs,
    identity: { users: config.users, tokenLifetimeMs: config.identity.token_lifetime * 1000 },
    logger: options.logger,
  });
  const protocolErrors = new LogThrottle(20, 10_000);
  logProtocolError = (instanceId, message) => protocolErrors.warn(api.log, { instance: instanceId, message: message.slice(0, 500) }, 'protocol error on a guest channel');
  const leaseErrors = new LogThrottle(20, 10_000);
  logLeaseError = (instanceId, error) => leaseErrors.warn(api.log, { instance: instanceId, err: error instanceof Error ? error.message : String(error) }, 'write lease not renewed');
  hub.attach(api.server);
  if (provisioner instanceof LocalProvisioner) logContainment(api.log, provisioner.containment);
  const url = await api.listen({ host, port: Number(port) });
  guestUrl = config.server.guest_url ?? `ws://${host}:${(api.server.address() as { port: number }).port}/v1/guests`;
  if (provisioner instanceof LocalProvisioner) provisioner.resume(await store.instances.listByStatus(['BUILD', 'ACTIVE', 'ERROR', 'SHUTDOWN', 'REBOOT', 'BACKUP', 'RESTART_REQUIRED', 'UPGRADE']));
  // before the tasks: an interrupted upgrade's pre-upgrade or post-upgrade is dropped, not re-sent to another build
  await instances.upgrades.recover();
  await runner.resumeUnfinished();
  await instances.replicaLinks.resumeSeeding();
  await monitor.check();
  monitor.start();
  leases.start();
  // a failover a previous server process left part-way goes on, from the step on record
  void failover.sweep().catch(() => undefined);
  failover.start();
  return {
    url,
    guestUrl,
    api,
    store,
    hub,
    leases,
    guestFailed: onFailed,
    async close() {
      monitor.stop();
      leases.stop();
      failover?.stop();
      if (provisioner instanceof LocalProvisioner) await provisioner.close();
      await hub.close();
      await api.close();
      await store.close();
    },
  };
}
