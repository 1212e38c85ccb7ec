import { closeSync, openSync } from 'node:fs';

/**
 * Every file descriptor the files capability holds in this thread: a worker
 * thread shares the process's descriptor table, so what it leaves open when
 * it is terminated (a missed deadline, a trap) would stay open in the host.
 * They are closed when the thread exits.
 */
const open = new Set<number>();
let closingAtExit = false;

export function openHandle(path: string, flags: number, mode?: number): number {
  if (!closingAtExit) {
    closingAtExit = true;
    process.once('exit', () => {
      for (const fd of open) closeQuietly(fd);
      open.clear();
    });
  }
  const fd = openSync(path, flags, mode);
  open.add(fd);
  return fd;
}

export function closeHandle(fd: number): void {
  open.delete(fd);
  closeSync(fd);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed: nothing to give back
  }
}

/** How many descriptors the capability holds in this thread (for tests: nothing leaks). */
export function openHandleCount(): number {
  return open.size;
}
