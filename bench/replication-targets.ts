/**
 * The three datastores bench/replication.ts replicates, each as two real
 * `berth host` processes running the built manager against private servers
 * on free ports (the replication tests' guests: test/support), prepared
 * with the database `bench` and BENCH_USER, and a ledger: a client writing
 * numbered entries 1, 2, ... in order and reading back the highest one a
 * guest holds. Importing this module runs nothing.
 */
import { Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import type { OperationName } from '../datastores/sdk/operations.js';
import { startMysqlGuests } from '../test/support/mysql-guests.js';
import { newSecrets, startPostgresGuest } from '../test/support/postgres-guest.js';
import { prepareRequest, startRedisGuest, type CallOutcome, type StoredBackup } from '../test/support/redis-guest.js';
import { BENCH_USER, mysql, postgresql, redis, type DatastoreBench } from './data-load.js';

export type Cleanups = Array<() => Promise<unknown>>;

export interface BenchGuest {
  port: number;
  /** Every process of the guest (host, datastore) works under it. */
  dir: string;
  call(operation: OperationName, args?: unknown[], deadlineMs?: number): Promise<CallOutcome>;
  hostPid(): number | undefined;
}

/** A client of one guest writing and reading the ledger. */
export interface Ledger {
  write(n: number): Promise<void>;
  /** The highest entry the guest holds (0 for none). */
  highest(): Promise<number>;
  all(): Promise<Set<number>>;
  close(): Promise<void>;
}

export interface ReplicationTarget {
  name: 'postgresql' | 'mysql' | 'redis';
  data: DatastoreBench;
  /** Two prepared guests and the artifact store their hub keeps. */
  start(cleanups: Cleanups, memoryMb: number): Promise<{ guests: [BenchGuest, BenchGuest]; artifacts: Map<string, StoredBackup> }>;
  /** Make the ledger on a primary (a replica gets it by replication). */
  createLedger(port: number): Promise<void>;
  /** One connection's ledger; `ledger` below reconnects it after a failure. */
  connect(port: number): Promise<Ledger>;
}

/**
 * A ledger on the guest at `port` that opens a new connection after one
 * failed (a datastore restarted by demote or promote, or killed): the
 * failing call still fails, the next one reconnects.
 */
export function ledger(target: ReplicationTarget, port: number): Ledger {
  let current: Promise<Ledger> | undefined;
  const use = async <T>(work: (connection: Ledger) => Promise<T>): Promise<T> => {
    current ??= target.connect(port);
    const opened = current;
    try {
      return await work(await opened);
    } catch (error) {
      if (current === opened) current = undefined;
      await opened.then((connection) => connection.close(), () => undefined);
      throw error;
    }
  };
  return {
    write: (n) => use((connection) => connection.write(n)),
    highest: () => use((connection) => connection.highest()),
    all: () => use((connection) => connection.all()),
    close: async () => {
      const opened = current;
      current = undefined;
      await opened?.then((connection) => connection.close(), () => undefined);
    },
  };
}

const prepared = (memoryMb: number, withUser: boolean) =>
  prepareRequest({
    memoryMb,
    ...(withUser
      ? { databases: [{ name: 'bench', characterSet: undefined, collation: undefined }], users: [{ name: BENCH_USER.name, host: '%', password: BENCH_USER.password, databases: ['bench'] }] }
      : {}),
  });

async function prepare(guest: BenchGuest, request: Record<string, unknown>): Promise<void> {
  const outcome = await guest.call('prepare', [request], 300_000);
  if ('err' in outcome) throw new Error(`prepare failed: ${JSON.stringify(outcome.err)}`);
}

const LEDGER_TABLE = 'CREATE TABLE ledger (n int PRIMARY KEY)';

export const postgresqlTarget: ReplicationTarget = {
  name: 'postgresql',
  data: postgresql,
  async start(cleanups, memoryMb) {
    const artifacts = new Map<string, StoredBackup>();
    // the replica is its own fresh instance with the primary's secrets (docs/replication.md)
    const secrets = newSecrets();
    const guests: [BenchGuest, BenchGuest] = [await startPostgresGuest(cleanups, artifacts, secrets), await startPostgresGuest(cleanups, artifacts, secrets)];
    for (const guest of guests) await prepare(guest, prepared(memoryMb, true));
    return { guests, artifacts };
  },
  async createLedger(port) {
    const ledger = await pgClient(port);
    await ledger.query(LEDGER_TABLE);
    await ledger.end();
  },
  async connect(port) {
    const client = await pgClient(port);
    return {
      write: async (n) => void (await client.query('INSERT INTO ledger VALUES ($1)', [n])),
      highest: async () => Number((await client.query('SELECT coalesce(max(n), 0) AS n FROM ledger')).rows[0].n),
      all: async () => new Set((await client.query('SELECT n FROM ledger')).rows.map((row: { n: number }) => Number(row.n))),
      close: () => client.end().catch(() => undefined),
    };
  },
};

async function pgClient(port: number): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: BENCH_USER.name, password: BENCH_USER.password, database: 'bench', connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export const mysqlTarget: ReplicationTarget = {
  name: 'mysql',
  data: mysql,
  async start(cleanups, memoryMb) {
    const { guests, artifacts } = await startMysqlGuests(cleanups, 2);
    for (const guest of guests) await prepare(guest, prepared(memoryMb, true));
    return { guests: [guests[0]!, guests[1]!], artifacts };
  },
  async createLedger(port) {
    const connection = await mysqlConnection(port);
    await connection.query(LEDGER_TABLE);
    await connection.end();
  },
  async connect(port) {
    const connection = await mysqlConnection(port);
    return {
      write: async (n) => void (await connection.query('INSERT INTO ledger VALUES (?)', [n])),
      highest: async () => Number(((await connection.query('SELECT coalesce(max(n), 0) AS n FROM ledger'))[0] as Array<{ n: number }>)[0]!.n),
      all: async () => new Set(((await connection.query('SELECT n FROM ledger'))[0] as Array<{ n: number }>).map((row) => Number(row.n))),
      close: () => connection.end().catch(() => undefined),
    };
  },
};

async function mysqlConnection(port: number) {
  const connection = await createConnection({ host: '127.0.0.1', port, user: BENCH_USER.name, password: BENCH_USER.password, database: 'bench', connectTimeout: 5000 });
  connection.on('error', () => undefined);
  return connection;
}

export const redisTarget: ReplicationTarget = {
  name: 'redis',
  data: redis,
  async start(cleanups, memoryMb) {
    const guests: [BenchGuest, BenchGuest] = [await startRedisGuest(cleanups), await startRedisGuest(cleanups)];
    for (const guest of guests) await prepare(guest, prepared(memoryMb, false));
    // Redis seeds over its own replication link: no artifact
    return { guests, artifacts: new Map() };
  },
  async createLedger() {
    // a list comes into being with its first entry
  },
  async connect(port) {
    // no offline queue and no retries: a refused or dead server answers at once
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    client.on('error', () => undefined);
    await client.connect();
    return {
      write: async (n) => void (await client.rpush('ledger', String(n))),
      highest: async () => Number((await client.lindex('ledger', -1)) ?? 0),
      all: async () => new Set((await client.lrange('ledger', 0, -1)).map(Number)),
      close: async () => client.disconnect(),
    };
  },
};

export const TARGETS: readonly ReplicationTarget[] = [postgresqlTarget, mysqlTarget, redisTarget];
