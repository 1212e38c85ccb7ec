import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The machine's PostgreSQL (trust auth). Not reachable means the tests that need it fail: they are never skipped. */
export const POSTGRES_ADMIN_URL = process.env.BERTH_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** One store engine, for tests that run the same suite against both. */
export interface Engine {
  name: string;
  /** Makes an empty database and answers its store url. */
  create(): Promise<string>;
  /** Removes it again. */
  destroy(): Promise<void>;
}

export function sqliteEngine(): Engine {
  let dir: string | undefined;
  return {
    name: 'SQLite',
    async create() {
      dir = await mkdtemp(join(tmpdir(), 'berth-store-'));
      return `sqlite:${join(dir, 'berth.db')}`;
    },
    async destroy() {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A private database on the machine's PostgreSQL, named `<prefix>_<random>` so parallel test files never share one. */
export function postgresEngine(prefix = 'berth_store_test'): Engine {
  const database = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  let created = false;
  return {
    name: 'PostgreSQL',
    async create() {
      await admin((client) => client.query(`CREATE DATABASE ${database}`));
      created = true;
      const url = new URL(POSTGRES_ADMIN_URL);
      url.pathname = `/${database}`;
      return url.toString();
    },
    async destroy() {
      if (created) await admin((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    },
  };
}
