import { execFileSync } from 'node:child_process';
import { ServerChild } from './server-child.js';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { lookupUser } from '../../host/os-user.js';
import { freePort } from '../../server/provisioning/local-machine.js';
import { MARIADB_PROGRAMS } from '../../server/registry/builtin-datastores.js';

// the client is not granted to managers any more (they restore over the connection); tests set up with it
const MARIADB_CLIENT = '/usr/bin/mariadb';

/**
 * A MariaDB server of the test's own (a free port, a socket in its
 * directory, secure_file_priv confined to its `files` directory unless told otherwise), unlike the
 * machine's shared one, whose root holds FILE and which the host therefore
 * refuses. `root@localhost` over the socket (unix_socket auth as root, no
 * password otherwise) sets things up; `sql` runs statements that way.
 * As root it runs as the mysql user.
 */
export class PrivateMariadb {
  private readonly server = new ServerChild();

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly args: readonly string[],
    private readonly ids: { uid?: number; gid?: number },
  ) {}

  get socket(): string {
    return join(this.dir, 'mysqld.sock');
  }

  get files(): string {
    return join(this.dir, 'files');
  }

  /**
   * `confined: false` starts it without secure_file_priv (file statements reach anything the server can);
   * `port`: where it listens (a port a guest config already grants), else a free one.
   */
  static async create(options: { confined?: boolean; port?: number } = {}): Promise<PrivateMariadb> {
    const dir = mkdtempSync(join(tmpdir(), 'berth-private-maria-'));
    mkdirSync(join(dir, 'files'));
    const user = process.getuid?.() === 0 ? lookupUser('mysql') : undefined;
    if (user) {
      chownSync(dir, user.uid, user.gid);
      chownSync(join(dir, 'files'), user.uid, user.gid);
    }
    const ids = user ? { uid: user.uid, gid: user.gid } : {};
    execFileSync(MARIADB_PROGRAMS.install[0], ['--no-defaults', `--datadir=${join(dir, 'data')}`, '--skip-test-db', '--auth-root-authentication-method=normal'], { stdio: 'ignore', cwd: dir, ...ids });
    const port = options.port ?? (await freePort());
    const args = ['--no-defaults', `--datadir=${join(dir, 'data')}`, `--socket=${join(dir, 'mysqld.sock')}`, `--port=${port}`, '--bind-address=127.0.0.1', ...(options.confined === false ? [] : [`--secure-file-priv=${join(dir, 'files')}`]), `--pid-file=${join(dir, 'mysqld.pid')}`, '--skip-name-resolve'];
    const maria = new PrivateMariadb(dir, port, args, ids);
    try {
      await maria.start();
    } catch (error) {
      maria.destroy();
      throw error;
    }
    return maria;
  }

  /** Start mariadbd (again, on the same port and data), and wait until it answers. */
  async start(): Promise<void> {
    const server = this.server.spawn(MARIADB_PROGRAMS.server[0], this.args, { cwd: this.dir, ...this.ids });
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        this.sql('SELECT 1');
        return;
      } catch (error) {
        if (Date.now() > deadline || server.exitCode !== null || server.signalCode !== null) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  /** A clean shutdown (SIGTERM), waited for: sessions are closed, statements in flight interrupted. */
  stop(): Promise<void> {
    return this.server.end('SIGTERM');
  }

  /** kill -9, waited for: a crash; the next start recovers. */
  kill(): Promise<void> {
    return this.server.end('SIGKILL');
  }

  get pid(): number {
    return this.server.pid;
  }

  /** Statements as root@localhost over the socket, with the mariadb client. */
  sql(statements: string): string {
    return execFileSync(MARIADB_CLIENT, ['--no-defaults', `--socket=${this.socket}`, '-uroot', '-N', '-e', statements], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** root over TCP, for statements with results (the socket's client prints text). */
  connect(database?: string): Promise<mysql.Connection> {
    return mysql.createConnection({ host: '127.0.0.1', port: this.port, user: 'root', database, connectTimeout: 5000 });
  }

  /** How a client program (mariadb-dump) logs in to this server: root over TCP. */
  login(): string[] {
    return ['--host=127.0.0.1', `--port=${this.port}`, '--user=root'];
  }

  destroy(): void {
    this.server.killNow();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
