/**
 * About N MB of data put into a datastore and counted back, the same way for
 * every bench that needs a loaded instance (bench/datastores.ts's backups,
 * bench/replication.ts's seeding): the database `bench`, written by the user
 * BENCH_USER (Redis: the default user). Importing this module runs nothing.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';

/** The user every loaded instance is made with, owner of the database `bench`. */
export const BENCH_USER = { name: 'bench', password: 'bench-password-1' };

export interface DatastoreBench {
  name: string;
  /** What the instance is created with, besides its name and datastore. */
  createWith: Record<string, unknown>;
  /** Put about `mb` megabytes into a fresh instance; answers the size the datastore reports. */
  load(port: number, mb: number): Promise<number>;
  /** The loaded data is all there (row count or key count). */
  verify(port: number): Promise<number>;
}

export const postgresql: DatastoreBench = {
  name: 'postgresql',
  createWith: { databases: [{ name: 'bench' }], users: [{ name: BENCH_USER.name, password: BENCH_USER.password, databases: [{ name: 'bench' }] }] },
  async load(port, mb) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: BENCH_USER.name, password: BENCH_USER.password, database: 'bench' });
    await client.connect();
    await client.query('CREATE TABLE filler (id int PRIMARY KEY, pad text)');
    // about 1 KiB a row, incompressible enough (md5 hex) that TOAST does not shrink it much
    const rows = Math.round((mb * 1024 * 1024) / 1100);
    await client.query('INSERT INTO filler SELECT g, repeat(md5(g::text), 30) FROM generate_series(1, $1) g', [rows]);
    const size = Number((await client.query("SELECT pg_database_size('bench') AS size")).rows[0].size);
    await client.end();
    return size;
  },
  async verify(port) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: BENCH_USER.name, password: BENCH_USER.password, database: 'bench' });
    await client.connect();
    const count = Number((await client.query('SELECT count(*) AS n FROM filler')).rows[0].n);
    await client.end();
    return count;
  },
};

export const mysql: DatastoreBench = {
  name: 'mysql',
  createWith: { databases: [{ name: 'bench' }], users: [{ name: BENCH_USER.name, password: BENCH_USER.password, databases: [{ name: 'bench' }] }] },
  async load(port, mb) {
    const connection = await createConnection({ host: '127.0.0.1', port, user: BENCH_USER.name, password: BENCH_USER.password, database: 'bench' });
    await connection.query('CREATE TABLE filler (id int PRIMARY KEY, pad text) ENGINE=InnoDB');
    const rows = Math.round((mb * 1024 * 1024) / 1100);
    // MariaDB's sequence engine makes the rows server-side
    await connection.query(`INSERT INTO filler SELECT seq, REPEAT(MD5(seq), 30) FROM seq_1_to_${rows}`);
    // the table statistics lag behind a bulk insert until analysed
    await connection.query('ANALYZE TABLE filler');
    const [result] = await connection.query("SELECT SUM(data_length + index_length) AS size FROM information_schema.tables WHERE table_schema = 'bench'");
    await connection.end();
    return Number((result as Array<{ size: number }>)[0]!.size);
  },
  async verify(port) {
    const connection = await createConnection({ host: '127.0.0.1', port, user: BENCH_USER.name, password: BENCH_USER.password, database: 'bench' });
    const [result] = await connection.query('SELECT COUNT(*) AS n FROM filler');
    await connection.end();
    return Number((result as Array<{ n: number }>)[0]!.n);
  },
};

export const redis: DatastoreBench = {
  name: 'redis',
  createWith: {},
  async load(port, mb) {
    const client = new Redis({ host: '127.0.0.1', port });
    const keys = Math.round((mb * 1024 * 1024) / 1100);
    for (let start = 0; start < keys; start += 1000) {
      const pipeline = client.pipeline();
      // random values: the RDB compresses repeated ones to nothing, which would flatter the throughput
      for (let key = start; key < Math.min(keys, start + 1000); key++) pipeline.set(`key:${key}`, randomBytes(500).toString('hex'));
      await pipeline.exec();
    }
    const info = await client.info('memory');
    client.disconnect();
    return Number(/used_memory:(\d+)/.exec(info)![1]);
  },
  async verify(port) {
    const client = new Redis({ host: '127.0.0.1', port });
    const size = await client.dbsize();
    client.disconnect();
    return size;
  },
};
