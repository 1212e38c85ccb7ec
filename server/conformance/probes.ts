import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { BerthError } from '../../datastores/errors/berth-error.js';

/** Where and as whom the probe reaches the instance's datastore. */
export interface Endpoint {
  host: string;
  port: number;
  user: string;
  password: string;
  /** A database the scenario created for the probe, when the manager has databases. */
  database?: string;
}

/**
 * The datastore's own check that data is there: it writes a marker through
 * the datastore's protocol and reads it back, so "the backup restored" means
 * the datastore serves the data, not that the manager said so.
 */
export interface Probe {
  describe: string;
  write(endpoint: Endpoint, marker: string): Promise<void>;
  /** The markers the datastore holds. */
  read(endpoint: Endpoint): Promise<string[]>;
  /** The value a setting runs with, as the datastore reports it (undefined: it will not say). */
  setting?(endpoint: Endpoint, name: string): Promise<string | undefined>;
}

const TABLE = 'berth_conformance_probe';
const KEY = 'berth:conformance:probe';

const postgresqlProbe: Probe = {
  describe: `PostgreSQL: a row in table ${TABLE}`,
  async write(endpoint, marker) {
    await withPostgres(endpoint, async (client) => {
      await client.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (marker text NOT NULL)`);
      await client.query(`INSERT INTO ${TABLE} (marker) VALUES ($1)`, [marker]);
    });
  },
  read: (endpoint) => withPostgres(endpoint, async (client) => (await client.query<{ marker: string }>(`SELECT marker FROM ${TABLE}`)).rows.map((row) => row.marker)),
  // current_setting shows a value as postgresql.conf takes it (work_mem '8MB'), the form PostgreSQL's parameters are given in
  setting: (endpoint, name) => withPostgres(endpoint, async (client) => (await client.query<{ shown: string }>('SELECT current_setting($1, true) AS shown', [name])).rows[0]?.shown ?? undefined),
};

async function withPostgres<T>(endpoint: Endpoint, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: endpoint.host, port: endpoint.port, user: endpoint.user, password: endpoint.password, database: endpoint.database ?? 'postgres', connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

const mysqlProbe: Probe = {
  describe: `MySQL: a row in table ${TABLE}`,
  async write(endpoint, marker) {
    await withMysql(endpoint, async (connection) => {
      await connection.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (marker VARCHAR(100) NOT NULL)`);
      await connection.query(`INSERT INTO ${TABLE} (marker) VALUES (?)`, [marker]);
    });
  },
  read: (endpoint) =>
    withMysql(endpoint, async (connection) => {
      const [rows] = await connection.query(`SELECT marker FROM ${TABLE}`);
      return (rows as Array<{ marker: string }>).map((row) => row.marker);
    }),
  setting: (endpoint, name) =>
    withMysql(endpoint, async (connection) => {
      const [rows] = await connection.query('SELECT VARIABLE_VALUE AS value FROM information_schema.GLOBAL_VARIABLES WHERE VARIABLE_NAME = ?', [name.toUpperCase()]);
      return (rows as Array<{ value: string }>)[0]?.value;
    }),
};

async function withMysql<T>(endpoint: Endpoint, body: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection({ host: endpoint.host, port: endpoint.port, user: endpoint.user, password: endpoint.password, connectTimeout: 10_000 });
  try {
    const database = endpoint.database ?? 'berth_conformance';
    if (!endpoint.database) await connection.query(`CREATE DATABASE IF NOT EXISTS ${database}`);
    await connection.query(`USE ${database}`);
    return await body(connection);
  } finally {
    await connection.end();
  }
}

const redisProbe: Probe = {
  describe: `Redis: members of the set ${KEY}`,
  async write(endpoint, marker) {
    await withRedis(endpoint, async (redis) => {
      await redis.sadd(KEY, marker);
    });
  },
  read: (endpoint) => withRedis(endpoint, (redis) => redis.smembers(KEY)),
  // CONFIG may be renamed or denied to the probe's user: then the datastore will not say
  setting: (endpoint, name) =>
    withRedis(endpoint, async (redis) => {
      const answer = (await redis.call('CONFIG', 'GET', name).catch(() => undefined)) as string[] | undefined;
      return answer?.[1];
    }),
};

async function withRedis<T>(endpoint: Endpoint, body: (redis: Redis) => Promise<T>): Promise<T> {
  // one attempt: a probe that cannot connect answers so (a stopped datastore), it never retries in the background
  const redis = new Redis({ host: endpoint.host, port: endpoint.port, username: endpoint.user, password: endpoint.password, lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 10_000, retryStrategy: () => null });
  redis.on('error', () => undefined);
  await redis.connect().catch((error: unknown) => {
    redis.disconnect();
    throw error;
  });
  try {
    return await body(redis);
  } finally {
    redis.disconnect();
  }
}

const BUILTIN: Record<string, Probe> = { postgresql: postgresqlProbe, mysql: mysqlProbe, mariadb: mysqlProbe, percona: mysqlProbe, redis: redisProbe };

const run = promisify(execFile);
const PLACEHOLDER = /\{(host|port|user|password|database|marker)\}/g;

/**
 * A probe made of two commands, for a datastore Berth has no driver for:
 * each is an argument vector (a JSON array, or words split on spaces) whose
 * {host} {port} {user} {password} {database} {marker} are filled in; the
 * read command's standard output, one marker per line, is what the
 * datastore holds. Run without a shell.
 */
export function commandProbe(write: string, read: string): Probe {
  const words = (flag: string, text: string): string[] => {
    if (text.trim().startsWith('[')) {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((word) => typeof word === 'string')) return parsed as string[];
      throw new BerthError('BERTH_ERR_USAGE', `${flag} is a JSON array but not of strings`, `e.g. ${flag} '["etcdctl","--endpoints","http://{host}:{port}","put","probe","{marker}"]'`);
    }
    const split = text.split(/\s+/).filter(Boolean);
    if (split.length === 0) throw new BerthError('BERTH_ERR_USAGE', `${flag} is empty`, `give the program and its arguments, e.g. ${flag} 'etcdctl --endpoints http://{host}:{port} get probe --print-value-only'`);
    return split;
  };
  const writeArgv = words('--probe-write', write);
  const readArgv = words('--probe-read', read);
  const fill = (argv: string[], endpoint: Endpoint, marker = '') =>
    argv.map((word) => word.replace(PLACEHOLDER, (_, name: string) => (name === 'marker' ? marker : name === 'port' ? String(endpoint.port) : String(endpoint[name as 'host' | 'user' | 'password' | 'database'] ?? ''))));
  return {
    describe: `the commands ${writeArgv[0]} (write) and ${readArgv[0]} (read)`,
    async write(endpoint, marker) {
      const [program, ...args] = fill(writeArgv, endpoint, marker);
      await run(program!, args, { timeout: 30_000, maxBuffer: 1 << 20 });
    },
    async read(endpoint) {
      const [program, ...args] = fill(readArgv, endpoint);
      const { stdout } = await run(program!, args, { timeout: 30_000, maxBuffer: 1 << 20 });
      return stdout.split('\n').map((line) => line.trim()).filter(Boolean);
    },
  };
}

/** The probe for a datastore: the commands given, else Berth's driver for it, else none (data checks are then skipped and say so). */
export function probeFor(datastore: string, commands?: { write?: string; read?: string }): Probe | undefined {
  if (commands?.write || commands?.read) {
    if (!commands.write || !commands.read) throw new BerthError('BERTH_ERR_USAGE', `--probe-${commands.write ? 'read' : 'write'} is missing`, 'give both --probe-write and --probe-read, or neither');
    return commandProbe(commands.write, commands.read);
  }
  return BUILTIN[datastore];
}
