import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** A datastore server process of a test's own, ended as a clean shutdown (SIGTERM) or a crash (SIGKILL) would. */
export class ServerChild {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  /** Start it (again); the caller waits until it serves. */
  spawn(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn(command, args, { stdio: 'ignore', ...options });
    this.child = child;
    this.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return child;
  }

  get pid(): number {
    return this.child!.pid!;
  }

  /** Signalled and waited for. */
  async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    await this.exited;
    this.child = undefined;
  }

  /** At clean-up: not waited for. */
  killNow(): void {
    this.child?.kill('SIGKILL');
  }
}
