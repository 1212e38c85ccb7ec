import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import type { GuestPlacement } from '../instances/guest-config.js';
import type { DatastoreVersion } from '../registry/registry.js';
import type { InstanceRecord } from '../store/store.js';
import type { Provisioner, ProvisionResult } from './provisioner.js';

interface Supervised {
  child: ChildProcess | undefined;
  /** A guest host started by an earlier server process, watched by pid. */
  adoptedPid?: number;
  watch?: NodeJS.Timeout;
  stopping: boolean;
  restarts: number;
}

export interface LocalProvisionerOptions {
  /** Instances live in <dataDir>/instances/<id>: the guest config, the log and the volume. */
  dataDir: string;
  /** Extra grants every local guest gets (programs and connections of this machine). */
  grants?: Partial<GuestPlacement['grants']>;
  /** Longest wait before restarting a guest host that exited, ms. */
  maxRestartDelayMs?: number;
  onExit?(instanceId: string, code: number | null): void;
  /** The guest host refused its config (exit 2 or 3): restarting cannot help. */
  onFailed?(instanceId: string, reason: string): void;
  /**
   * Stop the guests when the server stops (a first run: `berth up`). Otherwise
   * they keep running like real servers and the next server process adopts
   * them, so an operation interrupted by the restart is answered from the
   * guest's record, never run twice.
   */
  stopGuestsOnClose?: boolean;
}

/** Exit codes of `berth` for a bad command line or bad input: the config, the manager, the grants. */
const CONFIG_EXITS = new Set([2, 3]);

/**
 * Each instance is a guest host process on this machine, with its own data
 * directory as its volume. The server writes its guest config, starts it and
 * restarts it (with backoff) when it exits, until the instance is deleted.
 */
export class LocalProvisioner implements Provisioner {
  readonly kind = 'local';
  private readonly guests = new Map<string, Supervised>();

  constructor(private readonly options: LocalProvisionerOptions) {}

  private dir(instance: InstanceRecord): string {
    return join(this.options.dataDir, 'instances', instance.id);
  }

  async placement(instance: InstanceRecord, version: DatastoreVersion): Promise<GuestPlacement> {
    const volume = join(this.dir(instance), 'volume');
    await mkdir(volume, { recursive: true });
    const mountPoint = typeof version.guest.mount_point === 'string' ? version.guest.mount_point : '/var/lib/berth';
    const extra = this.options.grants ?? {};
    return {
      // the manager is told where its volume is, so its option and the grant agree
      optionOverrides: { mount_point: mountPoint },
      managerPath: version.manager.path,
      grants: {
        directories: [{ host: volume, guest: mountPoint, access: 'read-write' }, ...(extra.directories ?? [])],
        programs: extra.programs ?? [],
        connections: extra.connections ?? {},
        environment: extra.environment ?? {},
      },
      host: { cache_dir: join(this.options.dataDir, 'cache') },
    };
  }

  async provision(instance: InstanceRecord, result: ProvisionResult): Promise<void> {
    const configPath = join(this.dir(instance), 'guest.toml');
    await writeFile(configPath, result.guestConfigToml, { mode: 0o600 });
    const guest: Supervised = { child: undefined, stopping: false, restarts: 0 };
    this.guests.set(instance.id, guest);
    this.start(instance.id, configPath, guest);
  }

  private start(instanceId: string, configPath: string, guest: Supervised): void {
    const logPath = join(configPath, '..', 'host.log');
    const log = openSync(logPath, 'a');
    const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist', 'server', 'cli', 'berth.js'), 'host', '--config', configPath], {
      stdio: ['ignore', log, log],
      // its own process group: a Ctrl-C at the server's terminal reaches the server, which stops guests in order
      detached: true,
    });
    closeSync(log);
    guest.child = child;
    guest.adoptedPid = undefined;
    if (child.pid) writeFileSync(join(configPath, '..', 'host.pid'), `${child.pid}\n`);
    child.on('exit', (code) => {
      this.options.onExit?.(instanceId, code);
      if (guest.stopping) return;
      if (code !== null && CONFIG_EXITS.has(code)) {
        const tail = readFileSync(logPath, 'utf8').trim().split('\n').slice(-6).join('\n');
        this.options.onFailed?.(instanceId, `the guest host refused to start (exit ${code}): ${tail}`);
        return;
      }
      const delay = Math.min(this.options.maxRestartDelayMs ?? 30_000, 250 * 2 ** guest.restarts++);
      setTimeout(() => !guest.stopping && this.start(instanceId, configPath, guest), delay).unref();
    });
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
          if (guest.stopping || isGuestHost(pid, configPath)) return;
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
    if (guest) {
      guest.stopping = true;
      clearInterval(guest.watch);
      if (guest.adoptedPid !== undefined) await stopPid(guest.adoptedPid);
      const child = guest.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      this.guests.delete(instance.id);
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

  /** Stop every guest (their data stays). */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.guests.values()].map(async (guest) => {
        guest.stopping = true;
        clearInterval(guest.watch);
        if (guest.adoptedPid !== undefined) return stopPid(guest.adoptedPid);
        const child = guest.child;
        if (!child || child.exitCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }),
    );
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Is `pid` alive and still the guest host of this config (pids are reused)? */
function isGuestHost(pid: number, configPath: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(configPath);
  } catch {
    return false;
  }
}

async function stopPid(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone in the meantime
  }
}
