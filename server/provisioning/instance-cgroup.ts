import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statfsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * How the local provisioner holds an instance's processes: in a cgroup v2 of
 * its own (every process its guest host or the host's programs start stays in
 * it, whatever it does: fork, setsid, a scrubbed environment; delete kills the
 * whole group), or, where this server cannot make one, by the process tree,
 * the working directory, the BERTH_INSTANCE mark and (as root) the user.
 */
export type ProcessContainment = { kind: 'cgroup'; parent: string } | { kind: 'none'; reason: string };

/** statfs's f_type of a cgroup2 file system (linux/magic.h CGROUP2_SUPER_MAGIC). */
const CGROUP2_MAGIC = 0x63677270;
/** Longest wait for a killed cgroup to empty, ms (SIGKILL is not delayed but by a process stuck in the kernel). */
const KILL_WAIT_MS = 10_000;

/** Where cgroup2 is mounted on this machine (/sys/fs/cgroup on a pure v2 machine, /sys/fs/cgroup/unified on a hybrid one). */
export function cgroup2Mounts(mountinfo = '/proc/self/mountinfo'): string[] {
  let text: string;
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const line of text.split('\n')) {
    // <id> <parent> <major:minor> <root> <mount point> <options> [optional fields] - <fs type> <source> <super options>
    const [before, after] = line.split(' - ');
    if (!before || !after || after.split(' ')[0] !== 'cgroup2') continue;
    const point = before.split(' ')[4];
    // mountinfo escapes space, tab, newline and backslash as octal
    if (point) found.push(point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
  }
  return found;
}

function onCgroup2(path: string): boolean {
  try {
    return statfsSync(path).type === CGROUP2_MAGIC;
  } catch {
    return false;
  }
}

/**
 * Decide, once, how instances' processes are held: `configured` (provisioner.cgroup_parent)
 * or, by default, `<first cgroup2 mount>/berth`. The parent is usable when it is (or can
 * be made, one level below an existing cgroup) a cgroup2 directory in which this server
 * can make a child cgroup, move a process into it and kill it (cgroup.kill, Linux 5.14).
 * The probe is real: a child cgroup made, a shell placed in it, the child removed.
 */
export function detectContainment(configured?: string): ProcessContainment {
  const parent = configured ?? (cgroup2Mounts()[0] !== undefined ? join(cgroup2Mounts()[0]!, 'berth') : undefined);
  if (!parent) return { kind: 'none', reason: 'no cgroup2 hierarchy is mounted on this machine' };
  const above = dirname(parent);
  if (!onCgroup2(parent) && !onCgroup2(above)) return { kind: 'none', reason: `${parent} is not in a cgroup2 hierarchy (nor is ${above})` };
  try {
    if (!existsSync(parent)) mkdirSync(parent);
  } catch (error) {
    return { kind: 'none', reason: `cannot make the cgroup ${parent}: ${(error as Error).message}` };
  }
  const probe = join(parent, `probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(probe);
  } catch (error) {
    return { kind: 'none', reason: `cannot make a cgroup below ${parent}: ${(error as Error).message}` };
  }
  try {
    if (!existsSync(join(probe, 'cgroup.kill'))) return { kind: 'none', reason: `${parent} has no cgroup.kill (Linux 5.14 or later is needed)` };
    const moved = spawnSync('/bin/sh', ['-c', 'echo $$ > "$0"', join(probe, 'cgroup.procs')], { encoding: 'utf8' });
    if (moved.status !== 0) return { kind: 'none', reason: `cannot move a process into a cgroup below ${parent}: ${moved.stderr.trim() || `exit ${moved.status}`}` };
    return { kind: 'cgroup', parent };
  } finally {
    try {
      rmdirSync(probe);
    } catch {
      // a probe left behind is empty and harmless
    }
  }
}

/** An instance's cgroup below the parent (instance ids are UUIDs: one path component). */
export function instanceCgroupPath(parent: string, instanceId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(instanceId)) throw new Error(`instance id ${JSON.stringify(instanceId)} cannot name a cgroup`);
  return join(parent, instanceId);
}

/** Make the instance's cgroup (kept across host restarts: a restarted host joins it again). */
export function ensureInstanceCgroup(path: string): void {
  if (!existsSync(path)) mkdirSync(path);
}

/**
 * The command that starts `argv` inside the cgroup with no window: a shell
 * writes its own pid into cgroup.procs, then execs the guest host in its
 * place (same pid), so the host and everything it ever starts are in the
 * cgroup before the host runs a line. If the write fails the host never runs.
 */
export function commandInCgroup(path: string, argv: readonly string[]): { file: string; args: string[] } {
  const script = 'echo $$ > "$0/cgroup.procs" || { echo "berth: cannot join the instance cgroup $0" >&2; exit 125; }; exec "$@"';
  return { file: '/bin/sh', args: ['-c', script, path, ...argv] };
}

function processesIn(path: string): number[] {
  try {
    return readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * End every process in the instance's cgroup (cgroup.kill: the kernel
 * SIGKILLs all of them, and what they fork meanwhile), wait until it is
 * empty (bounded), then remove it. Nothing to do when it does not exist
 * (an instance whose host started before cgroups, or never started).
 */
export async function killInstanceCgroup(path: string): Promise<void> {
  if (!existsSync(path)) return;
  writeFileSync(join(path, 'cgroup.kill'), '1');
  const deadline = Date.now() + KILL_WAIT_MS;
  for (;;) {
    const left = processesIn(path);
    if (left.length === 0) {
      try {
        rmdirSync(path);
        return;
      } catch (error) {
        // EBUSY while the last exiting process is being released
        if ((error as NodeJS.ErrnoException).code !== 'EBUSY') throw error;
      }
    }
    if (Date.now() > deadline) throw new Error(`the instance cgroup ${path} still holds processes ${left.join(', ')} ${KILL_WAIT_MS} ms after cgroup.kill`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface StartLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Said once, at server start: what delete can promise on this machine (docs/security.md). */
export function logContainment(log: StartLog, containment: ProcessContainment): void {
  if (containment.kind === 'cgroup') {
    log.info({ cgroup_parent: containment.parent }, 'local instances each run in a cgroup of their own; delete ends every process in it');
    return;
  }
  log.warn(
    { reason: containment.reason },
    'no writable cgroup2 hierarchy: a process an instance starts that leaves its process tree, its directory and its BERTH_INSTANCE mark (and, as root, runs as a shared local.run_as user) cannot be ended on delete; run the server as root on a machine with cgroup2, or set provisioner.cgroup_parent',
  );
}
