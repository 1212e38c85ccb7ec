import { readFileSync } from 'node:fs';

/** The pid a host.pid file names, if it holds one. */
export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Is `pid` alive and still the guest host of this config (pids are reused)? */
export function isGuestHost(pid: number, configPath: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(configPath);
  } catch {
    return false;
  }
}
