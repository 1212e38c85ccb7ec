import { readFileSync } from 'node:fs';

/** One process, told apart from a later one given the same pid. */
export interface ProcessIdentity {
  pid: number;
  startTime: number;
}

export interface ProcStat {
  /** R, S, D, Z (zombie: ended, not yet reaped), X... */
  state: string;
  parent: number;
  session: number;
  /** Clock ticks after boot: with the pid, names one process even once pids are reused. */
  startTime: number;
}

/** /proc/<pid>/stat, or undefined once the process is gone. */
export function procStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses; the fields after its last ')' do not
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, parent: Number(fields[1]), session: Number(fields[3]), startTime: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

/** Is this process (pid and start time) still running? A zombie has ended. */
export function stillRunning(pid: number, startTime: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.startTime === startTime && stat.state !== 'Z' && stat.state !== 'X';
}
