import { directoryUsedBytes } from './directory-usage.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { withManager } from './manager-pin.js';
import { join } from 'node:path';
import { fillTemplate } from '../registry/local-placement.js';
import { lookupUser, type OsUser } from '../../host/os-user.js';
import { allowTraversal, chownTree, ensureInstanceUser, processesDescendedFrom, processesMarkedWith, processesOwnedBy, processesWorkingIn, removeInstanceUser } from './local-machine.js';
import { InstancePorts } from './instance-ports.js';
import { localGuestGrants } from './local-grants.js';
import { localSecretValues, readLocalSecrets } from './local-secrets.js';
import { stillRunning } from '../../host/capabilities/proc-stat.js';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import type { GuestPlacement } from '../instances/guest-config.js';
import type { DatastoreVersion } from '../registry/registry.js';
import type { InstanceRecord } from '../store/store.js';
import type { PlacementInputs, Provisioner, ProvisionResult } from './provisioner.js';
import { withHostMallocTunables } from '../../host/malloc-tunables.js';
import { stopPid, stopProcesses } from './stop-processes.js';
import { afterHostExit, type HostRuns } from './host-restart-policy.js';
import type { LocalProvisionerOptions } from './local-options.js';
import { isGuestHost, readPid } from './host-pid.js';
import { commandInCgroup, detectContainment, ensureInstanceCgroup, instanceCgroupPath, killInstanceCgroup, type ProcessContainment } from './instance-cgroup.js';

interface Supervised extends HostRuns {
  child: ChildProcess | undefined;
  /** A guest host started by an earlier server process, watched by pid. */
  adoptedPid?: number;
  watch?: NodeJS.Timeout;
  stopping: boolean;
  /** holdRestarts: once it exits, the host stays down. */
  held?: boolean;
}


/**
 * Each instance is a guest host process on this machine, with its own data
 * directory as its volume. The server writes its guest config, starts it and
 * restarts it (with backoff) when it exits, until the instance is deleted.
 */
export class LocalProvisioner implements Provisioner {
  readonly kind = 'local';
  private readonly guests = new Map<string, Supervised>();
  private readonly ports: InstancePorts;
  /** Decided once, at construction: a cgroup per instance, or (no writable cgroup2) none; the server logs which. */
  readonly containment: ProcessContainment;

  constructor(private readonly options: LocalProvisionerOptions) {
    this.ports = new InstancePorts(join(options.dataDir, 'instances'));
    this.containment = detectContainment(options.cgroupParent);
  }

  private cgroupOf(instanceId: string): string | undefined {
    return this.containment.kind === 'cgroup' ? instanceCgroupPath(this.containment.parent, instanceId) : undefined;
  }

  /** The grants every local guest gets beside its version's [datastores.local] block. */
  get extraGrants(): Partial<GuestPlacement['grants']> {
    return this.options.grants ?? {};
  }

  /** A volume here is a directory of this machine: it has no device to grow. */
  readonly volumesResizable = false;

  volumeUsedBytes(instance: InstanceRecord): Promise<number | undefined> {
    return directoryUsedBytes(join(this.dir(instance), 'volume'));
  }

  private dir(instance: InstanceRecord): string {
    return join(this.options.dataDir, 'instances', instance.id);
  }

  /**
   * The instance's directory holds its guest config, log, spool and volume.
   * The volume is mounted where it is (guest path = host path), because the
   * programs a manager runs see the real file system, not the guest's view.
   * Its secrets are fresh, but those of the backup it is restored from.
   */
  async placement(instance: InstanceRecord, version: DatastoreVersion, inputs: PlacementInputs = {}): Promise<GuestPlacement> {
    const dir = this.dir(instance);
    const volume = join(dir, 'volume');
    await mkdir(volume, { recursive: true });
    await mkdir(join(dir, 'spool'), { recursive: true, mode: 0o700 });
    await mkdir(join(dir, 'state'), { recursive: true, mode: 0o700 });
    const local = version.local;
    const overrides: Record<string, string | number> = { mount_point: volume };
    for (const key of local.ports) overrides[key] = await this.ports.allocate(local.ports);
    Object.assign(overrides, localSecretValues(local.secrets, inputs.secrets));
    const values = { ...version.guest, ...overrides, volume };
    const connections = Object.fromEntries(
      Object.entries(local.connections).map(([name, grant]) => [
        name,
        Object.fromEntries(Object.entries(grant).map(([field, value]) => [field, typeof value === 'string' ? fillTemplate(value, values) : value])),
      ]),
    ) as GuestPlacement['grants']['connections'];
    const extra = this.extraGrants;
    const user = this.serviceUser(instance, local.runAs);
    // one cache for all: written only by the root host before it becomes its instance's user, read by all
    const cacheDir = join(this.options.dataDir, 'cache', 'transpiled');
    await mkdir(cacheDir, { recursive: true });
    if (user) {
      allowTraversal(this.options.dataDir);
      allowTraversal(join(this.options.dataDir, 'instances'));
      // the instance directory is root's (its guest config, log and pid file); below it, only the instance's user
      chmodSync(dir, 0o711);
      for (const own of ['volume', 'spool', 'state']) {
        chownTree(join(dir, own), user);
        chmodSync(join(dir, own), 0o700);
      }
    }
    const firstPort = local.ports[0] && overrides[local.ports[0]];
    return {
      optionOverrides: overrides,
      managerPath: version.manager.path,
      grants: localGuestGrants(local, extra, volume, connections, instance.id),
      host: { cache_dir: cacheDir, spool_dir: join(dir, 'spool'), state_dir: join(dir, 'state'), ...(user ? { run_as: user.name } : {}) },
      ...(firstPort ? { endpoint: `127.0.0.1:${firstPort}` } : {}),
    };
  }

  /**
   * The user an instance's guest host becomes (only a root server can
   * switch): the instance's own, made for it, unless the version names a
   * shared one (local.run_as, which lets its instances read each other's
   * files: for a machine that hosts one instance).
   */
  private serviceUser(instance: InstanceRecord, shared: string | undefined): OsUser | undefined {
    if (process.getuid?.() !== 0) return undefined;
    if (!shared) return ensureInstanceUser(instanceUserName(instance.id), instance.id);
    const user = lookupUser(shared);
    if (!user) throw new Error(`local.run_as names user ${shared}, which this machine does not have`);
    return user;
  }

  /** The instance's values of its version's local secrets, from the guest config written for it. */
  secretsOf(instance: InstanceRecord, version: DatastoreVersion): Promise<Record<string, string>> {
    return readLocalSecrets(join(this.dir(instance), 'guest.toml'), version.local.secrets);
  }

  async provision(instance: InstanceRecord, result: ProvisionResult): Promise<void> {
    const configPath = join(this.dir(instance), 'guest.toml');
    // the server's alone: a root guest host reads it before it becomes the instance's user
    await writeFile(configPath, result.guestConfigToml, { mode: 0o600 });
    const guest: Supervised = { child: undefined, stopping: false, restarts: 0 };
    this.guests.set(instance.id, guest);
    this.start(instance.id, configPath, guest);
  }

  private start(instanceId: string, configPath: string, guest: Supervised): void {
    const logPath = join(configPath, '..', 'host.log');
    const log = openSync(logPath, 'a');
    // a root server starts each guest host as root: it reads its config, then becomes its host.run_as
    const command = this.options.hostCommand?.(configPath) ?? [join(PACKAGE_ROOT, 'dist', 'server', 'cli', 'berth.js'), 'host', '--config', configPath];
    const node = this.options.nodePath ?? process.execPath;
    const cgroup = this.cgroupOf(instanceId);
    if (cgroup) ensureInstanceCgroup(cgroup);
    // in its cgroup before it runs a line: whatever it or its programs start stays there (instance-cgroup.ts)
    const { file, args } = cgroup ? commandInCgroup(cgroup, [node, ...command]) : { file: node, args: command };
    const child = spawn(file, args, {
      stdio: ['ignore', log, log],
      env: withHostMallocTunables(process.env),
      // its own process group: a Ctrl-C at the server's terminal reaches the server, which stops guests in order
      detached: true,
    });
    closeSync(log);
    guest.child = child;
    guest.adoptedPid = undefined;
    guest.startedAt = Date.now();
    if (child.pid) writeFileSync(join(configPath, '..', 'host.pid'), `${child.pid}\n`);
    child.on('exit', (code) => {
      this.options.onExit?.(instanceId, code);
      if (guest.stopping || guest.held) return;
      const next = afterHostExit(guest, code, logPath, this.options);
      if (next.failed) this.options.onFailed?.(instanceId, next.failed);
      if (next.restartInMs === undefined) return;
      const delay = next.restartInMs;
      setTimeout(() => !guest.stopping && this.start(instanceId, configPath, guest), delay).unref();
    });
  }

  /**
   * Trove's upgrade, on this machine: stop the instance's guest host, pin the
   * other build in its guest config's [manager] (path and sha256; options and
   * grants stay), and start the host again. What its datastore runs is the
   * manager's business (pre-upgrade stops it when the new build needs it down).
   */
  async swapManager(instance: InstanceRecord, manager: { path: string; sha256: string }): Promise<void> {
    const configPath = join(this.dir(instance), 'guest.toml');
    await writeFile(configPath, withManager(await readFile(configPath, 'utf8'), manager), { mode: 0o600 });
    const guest = this.guests.get(instance.id) ?? { child: undefined, stopping: false, restarts: 0 };
    this.guests.set(instance.id, guest);
    await stopHost(guest, HOST_STOP_GRACE_MS);
    guest.stopping = false;
    guest.restarts = 0;
    guest.quickExits = 0;
    this.start(instance.id, configPath, guest);
  }

  /**
   * Test hook (docs/reliability.md, "Test hooks"): from now on the instance's
   * guest host is not restarted when it exits, as a machine that is gone
   * stays gone, so a test can kill -9 it and its datastore and see what the
   * server does without it (an eject). Deleting the instance still cleans up.
   */
  holdRestarts(instanceId: string): void {
    const guest = this.guests.get(instanceId);
    if (!guest) throw new Error(`instance ${instanceId} has no guest host here`);
    guest.held = true;
  }

  /** The guest host's pid, for operators and tests. */
  pidOf(instanceId: string): number | undefined {
    const guest = this.guests.get(instanceId);
    return guest?.child?.pid ?? guest?.adoptedPid;
  }

  /**
   * After a server restart: adopt each instance's guest host that is still
   * running (by its pid file), start the ones that are not.
   */
  resume(instances: readonly InstanceRecord[]): void {
    for (const instance of instances) {
      if (instance.status === 'DELETED' || this.guests.has(instance.id)) continue;
      const configPath = join(this.dir(instance), 'guest.toml');
      if (!existsSync(configPath)) continue;
      const guest: Supervised = { child: undefined, stopping: false, restarts: 0 };
      this.guests.set(instance.id, guest);
      const pid = readPid(join(this.dir(instance), 'host.pid'));
      if (pid !== undefined && isGuestHost(pid, configPath)) {
        guest.adoptedPid = pid;
        // not our child: no exit event, so look now and then
        guest.watch = setInterval(() => {
          if (guest.stopping || guest.held || isGuestHost(pid, configPath)) return;
          clearInterval(guest.watch);
          this.start(instance.id, configPath, guest);
        }, 2000);
        guest.watch.unref();
      } else {
        this.start(instance.id, configPath, guest);
      }
    }
  }

  async deprovision(instance: InstanceRecord): Promise<void> {
    const guest = this.guests.get(instance.id);
    // looked up while the host still runs: once it has gone they are orphans, found by nothing else
    // when the server is not root (then they run as the server's user, anywhere: cwd "/" included)
    const hostPid = guest?.adoptedPid ?? guest?.child?.pid;
    const started = hostPid !== undefined ? processesDescendedFrom(hostPid) : [];
    if (guest) {
      await stopHost(guest, 5000);
      this.guests.delete(instance.id);
    }
    // what the host had started and kept (the datastore), or left when it was killed, goes with the instance
    await stopProcesses(started.filter((p) => stillRunning(p.pid, p.startTime)).map((p) => p.pid));
    // and whatever the manager started in the volume (a datastore daemon, an earlier host's leftovers)
    await stopProcesses(processesWorkingIn(this.dir(instance)));
    // and whatever carries the instance's mark in its environment, wherever it works: a datastore an earlier
    // host run spawned (orphaned when that host was killed), one that daemonised itself (issue 17)
    await stopProcesses(processesMarkedWith(instance.id));
    // and, in its cgroup, everything else its host and their programs started, whatever they did to hide
    const cgroup = this.cgroupOf(instance.id);
    if (cgroup) await killInstanceCgroup(cgroup);
    const user = process.getuid?.() === 0 ? lookupUser(instanceUserName(instance.id)) : undefined;
    if (user) {
      // and whatever else its user runs, wherever it went
      await stopProcesses(processesOwnedBy(user.uid));
      removeInstanceUser(user.name);
    }
    await rm(this.dir(instance), { recursive: true, force: true });
  }

  /** Server shutdown: stop the guests (stopGuestsOnClose) or leave them running for the next server. */
  async close(): Promise<void> {
    if (this.options.stopGuestsOnClose) return this.stopAll();
    for (const guest of this.guests.values()) {
      guest.stopping = true;
      clearInterval(guest.watch);
      guest.child?.unref();
    }
  }

  /** Stop every guest and the datastores their managers started (their data stays). */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.guests.entries()].map(async ([instanceId, guest]) => {
        await stopHost(guest, HOST_STOP_GRACE_MS);
        await stopProcesses(processesWorkingIn(join(this.options.dataDir, 'instances', instanceId)));
        await stopProcesses(processesMarkedWith(instanceId));
        const cgroup = this.cgroupOf(instanceId);
        if (cgroup) await killInstanceCgroup(cgroup);
      }),
    );
  }
}

/** An instance's OS user: a name of at most 32 characters, from its id. */
export function instanceUserName(instanceId: string): string {
  return `berth-${instanceId.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 12)}`;
}

export type { LocalProvisionerOptions } from './local-options.js';

/** How long a guest host has to end its programs and exit after SIGTERM before it is killed (a hung host must not hang an upgrade or a stop). */
const HOST_STOP_GRACE_MS = 30_000;

/** Stop one supervised guest host for good (no restart): SIGTERM, then SIGKILL once `graceMs` has passed. */
async function stopHost(guest: Supervised, graceMs: number): Promise<void> {
  guest.stopping = true;
  clearInterval(guest.watch);
  if (guest.adoptedPid !== undefined) await stopPid(guest.adoptedPid);
  const child = guest.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const ended = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs).unref())]);
  if (!ended) {
    child.kill('SIGKILL');
    await exited;
  }
}
