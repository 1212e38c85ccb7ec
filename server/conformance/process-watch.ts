import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processesDescendedFrom, processesMarkedWith } from '../provisioning/local-machine.js';
import { procStat, stillRunning, type ProcessIdentity } from '../../host/capabilities/proc-stat.js';

export interface WatchedProcess extends ProcessIdentity {
  command: string;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 200) || `pid ${pid}`;
  } catch {
    return `pid ${pid}`;
  }
}

/**
 * Every process an instance's guest host ran during the scenario, sampled
 * from the process table (the host's pid file names the host; a restarted
 * host is picked up at the next sample), so that after delete the check can
 * name any that still runs, whichever way it left the host's tree.
 */
export class ProcessWatch {
  private readonly seen = new Map<string, WatchedProcess>();
  private current = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly instanceDir: string,
    private readonly instanceId: string,
    everyMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  sample(): void {
    const found: ProcessIdentity[] = [];
    const pidFile = join(this.instanceDir, 'host.pid');
    if (existsSync(pidFile)) {
      const host = Number(readFileSync(pidFile, 'utf8').trim());
      if (Number.isInteger(host) && host > 0) found.push(...processesDescendedFrom(host));
    }
    // a marked process's children count as marked: PostgreSQL's rewrite their environment with their process titles
    for (const pid of processesMarkedWith(this.instanceId)) {
      const stat = procStat(pid);
      if (stat) found.push({ pid, startTime: stat.startTime }, ...processesDescendedFrom(pid));
    }
    this.current = new Set<string>();
    for (const process of found) {
      const key = `${process.pid}@${process.startTime}`;
      this.current.add(key);
      if (!this.seen.has(key)) this.seen.set(key, { ...process, command: commandOf(process.pid) });
    }
  }

  /**
   * Processes seen earlier that still run but, sampled now, are neither in the
   * host's tree nor marked with the instance (nor a marked one's children):
   * they got away from both ways delete finds processes (double-forked, the
   * environment scrubbed). Judged at one sample, so a process between its
   * fork and its exec is not taken for one.
   */
  escaped(): WatchedProcess[] {
    this.sample();
    return [...this.seen].filter(([key, process]) => !this.current.has(key) && stillRunning(process.pid, process.startTime)).map(([, process]) => process);
  }

  /** Those seen that still run now. */
  survivors(): WatchedProcess[] {
    return [...this.seen.values()].filter((process) => stillRunning(process.pid, process.startTime));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
