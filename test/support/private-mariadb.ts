import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from '../../server/provisioning/local-machine.js';
import { MARIADB_PROGRAMS } from '../../server/registry/builtin-datastores.js';

/**
 * A MariaDB server of the test's own (the machine's binaries, root without a
 * password over TCP, a free port, a temporary data directory), never the
 * machine's shared one. As root it runs mariadbd as root (--user=root).
 */
export class PrivateMariadb {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly process: ChildProcess,
  ) {}

  static async create(): Promise<PrivateMariadb> {
    const dir = mkdtempSync(join(tmpdir(), 'berth-private-mariadb-'));
    const user = process.getuid?.() === 0 ? ['--user=root'] : [];
    const data = join(dir, 'data');
    execFileSync(MARIADB_PROGRAMS.install[0], ['--no-defaults', `--datadir=${data}`, '--skip-test-db', '--auth-root-authentication-method=normal', ...user], { stdio: 'ignore' });
    const port = await freePort();
    const server = spawn(
      MARIADB_PROGRAMS.server[0],
      ['--no-defaults', `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(dir, 'mysqld.sock')}`, `--log-error=${join(dir, 'error.log')}`, '--skip-name-resolve', ...user],
      { stdio: 'ignore' },
    );
    const started = new PrivateMariadb(dir, port, server);
    for (let attempt = 0; ; attempt++) {
      try {
        await (await started.connect()).end();
        return started;
      } catch (error) {
        if (attempt >= 100 || server.exitCode !== null) {
          await started.destroy();
          throw new Error(`the private mariadbd did not start: ${String(error)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  connect(database?: string): Promise<mysql.Connection> {
    return mysql.createConnection({ host: '127.0.0.1', port: this.port, user: 'root', database, connectTimeout: 5000 });
  }

  /** How a client program (mariadb-dump) logs in to this server: root over TCP. */
  login(): string[] {
    return ['--host=127.0.0.1', `--port=${this.port}`, '--user=root'];
  }

  async destroy(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      const exited = new Promise((resolve) => this.process.once('exit', resolve));
      this.process.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
