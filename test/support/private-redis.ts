import { ServerChild } from './server-child.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, portRefuses, REDIS_SERVER, requireRedisServer } from './redis-guest.js';

/**
 * A redis-server of the test's own (a free port, a password, no persistence),
 * which a test may stop, kill and start again on the same port, unlike the
 * machine's shared one. Its data does not survive a restart.
 */
export class PrivateRedis {
  private readonly server = new ServerChild();
  readonly password = randomBytes(12).toString('hex');

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<PrivateRedis> {
    requireRedisServer();
    const redis = new PrivateRedis(mkdtempSync(join(tmpdir(), 'berth-private-redis-')), await freePort());
    try {
      await redis.start();
    } catch (error) {
      redis.destroy();
      throw error;
    }
    return redis;
  }

  /** redis://:password@127.0.0.1:port/database, as a grant names it. */
  url(database = 0): string {
    return `redis://:${this.password}@127.0.0.1:${this.port}/${database}`;
  }

  /** Start redis-server (again, on the same port), and wait until it listens. */
  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--requirepass', this.password, '--save', '', '--appendonly', 'no', '--dir', this.dir];
    const server = this.server.spawn(REDIS_SERVER, args);
    for (let i = 0; await portRefuses(this.port); i++) {
      if (i > 200 || server.exitCode !== null) throw new Error(`redis-server did not listen on ${this.port}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A clean shutdown (SIGTERM), waited for. */
  stop(): Promise<void> {
    return this.server.end('SIGTERM');
  }

  /** kill -9, waited for: a crash. */
  kill(): Promise<void> {
    return this.server.end('SIGKILL');
  }

  get pid(): number {
    return this.server.pid;
  }

  /** A client of the test's own on `database`; the caller disconnects it. */
  client(database = 0): Redis {
    return new Redis({ host: '127.0.0.1', port: this.port, password: this.password, db: database, maxRetriesPerRequest: 0, retryStrategy: () => null });
  }

  destroy(): void {
    this.server.killNow();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
