// The connections capability against real servers: a private PostgreSQL and a private MariaDB
// (the host refuses a superuser role and an account with FILE, so the grants log in as plain
// accounts that own database `test`), and the Redis this machine runs (127.0.0.1:6379).
// A missing service fails these tests: it is never a reason to skip them.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnections } from '../../../host/capabilities/connections.js';
import type { ConnectionGrant } from '../../../host/config/guest-config.js';
import type { RedisNode, SqlResult, SqlValue } from '../../../host/generated/interfaces/berth-datastore-connections.js';
import type { CapabilityError } from '../../../host/generated/interfaces/berth-datastore-types.js';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { buildFixture, call, instantiateBytes, type ExportedInterfaces } from '../../support/components.js';
import { PrivateMariadb } from '../../support/private-mariadb.js';
import { PrivatePostgres } from '../../support/private-postgres.js';
import { capabilityError } from '../../support/connection-calls.js';

/** The PostgreSQL and MariaDB grants are filled in once the private servers run (the first beforeAll below). */
const GRANTS: Record<string, ConnectionGrant> = {
  cache: { kind: 'redis', url: 'redis://127.0.0.1:6379/0' },
  // nothing listens on port 1
  'pg-down': { kind: 'postgresql', url: 'postgres://berth_manager@127.0.0.1:1/test' },
  'maria-down': { kind: 'mysql', url: 'mysql://berth_manager@127.0.0.1:1/test' },
  'cache-down': { kind: 'redis', url: 'redis://127.0.0.1:1/0' },
  'pg-missing-socket': { kind: 'postgresql', socket: '/nonexistent/berth', user: 'berth_manager', database: 'test' },
  'cache-db1': { kind: 'redis', url: 'redis://127.0.0.1:6379', database: '1' },
  'cache-db-out-of-range': { kind: 'redis', url: 'redis://127.0.0.1:6379/100000' },
};

let privatePg: PrivatePostgres;
let privateMaria: PrivateMariadb;
beforeAll(async () => {
  privateMaria = await PrivateMariadb.create();
  privateMaria.sql(
    "CREATE DATABASE test; CREATE USER berth_manager@'127.0.0.1', berth_manager@localhost; GRANT ALL ON test.* TO berth_manager@'127.0.0.1', berth_manager@localhost",
  );
  privatePg = await PrivatePostgres.create();
  const admin = new pg.Client({ connectionString: privatePg.url });
  await admin.connect();
  await admin.query('CREATE ROLE berth_manager LOGIN');
  await admin.query('CREATE DATABASE test OWNER berth_manager');
  await admin.end();
  Object.assign(GRANTS, {
    pg: { kind: 'postgresql', url: `postgres://berth_manager@127.0.0.1:${privatePg.port}/test` },
    // the same server over its Unix socket: a directory (the URL gives the port, as libpq's would), or the file itself
    'pg-socket-dir': { kind: 'postgresql', socket: privatePg.dir, url: `postgres://berth_manager@localhost:${privatePg.port}/test` },
    'pg-socket-file': { kind: 'postgresql', socket: `${privatePg.dir}/.s.PGSQL.${privatePg.port}`, user: 'berth_manager', database: 'test' },
    maria: { kind: 'mysql', url: `mysql://berth_manager@127.0.0.1:${privateMaria.port}/test` },
    'maria-socket': { kind: 'mysql', socket: privateMaria.socket, user: 'berth_manager', database: 'test' },
  } satisfies Record<string, ConnectionGrant>);
}, 120_000);
afterAll(() => {
  privatePg?.destroy();
  privateMaria?.destroy();
});

let sequence = 0;
/** A table or key name no other test (or concurrent run) uses. */
const unique = (prefix: string) => `${prefix}_${process.pid}_${Date.now().toString(36)}_${sequence++}`;

const bytes = (...values: number[]) => new Uint8Array(values);
const text = (value: string) => new TextEncoder().encode(value);
const args = (...values: Array<string | Uint8Array>) => values.map((v) => (typeof v === 'string' ? text(v) : v));

type Connections = ReturnType<typeof createConnections>;

describe('createConnections: SQL and Redis through the bridge thread', () => {
  let connections: Connections;
  const denials: Array<[string, string]> = [];

  beforeAll(() => {
    connections = createConnections(GRANTS, { timeoutMs: 10_000 }, (capability, what) => denials.push([capability, what]));
  });
  afterAll(() => connections.close());

  const sql = (name: string, statement: string, params: SqlValue[] = []) => connections.sqlQuery(name, statement, params);
  const redis = (...values: Array<string | Uint8Array>) => connections.redisCommand('cache', args(...values));

  it('reaches the test services (PostgreSQL, MariaDB, Redis must all be running)', () => {
    expect(sql('pg', 'SELECT 1 AS one').rows).toEqual([[{ tag: 'integer', val: 1n }]]);
    expect(sql('maria', 'SELECT 1 AS one').rows).toEqual([[{ tag: 'integer', val: 1n }]]);
    expect(redis('PING')).toEqual([{ tag: 'simple', val: 'PONG' }]);
  });

  describe('PostgreSQL', () => {
    it('binds parameters and types columns from their metadata, int8 past 2^53 and bytea included', () => {
      const big = 2n ** 53n + 1n;
      const result = sql(
        'pg',
        `SELECT $1::int8 AS big, $2::bytea AS raw, $3::text AS t, $4::float8 AS f, $5::bool AS b, $6::int4 AS absent,
                7::int2 AS small, 8::int4 AS mid, '-9223372036854775808'::int8 AS least, 1.50::numeric AS num,
                TIMESTAMP '2024-02-03 04:05:06.789' AS ts, DATE '2024-02-03' AS d, '{"a": 1}'::jsonb AS j, 'NaN'::float8 AS nan, false AS no`,
        [
          { tag: 'integer', val: big },
          { tag: 'bytes', val: bytes(0, 1, 255) },
          { tag: 'text', val: 'héllo ✓' },
          { tag: 'float', val: 2.5 },
          { tag: 'boolean', val: true },
          { tag: 'null' },
        ],
      );
      expect(result.columns).toEqual(['big', 'raw', 't', 'f', 'b', 'absent', 'small', 'mid', 'least', 'num', 'ts', 'd', 'j', 'nan', 'no']);
      expect(result.rows).toEqual([
        [
          { tag: 'integer', val: big },
          { tag: 'bytes', val: bytes(0, 1, 255) },
          { tag: 'text', val: 'héllo ✓' },
          { tag: 'float', val: 2.5 },
          { tag: 'boolean', val: true },
          { tag: 'null' },
          { tag: 'integer', val: 7n },
          { tag: 'integer', val: 8n },
          { tag: 'integer', val: -(2n ** 63n) },
          { tag: 'text', val: '1.50' },
          { tag: 'text', val: '2024-02-03T04:05:06.789' },
          { tag: 'text', val: '2024-02-03' },
          { tag: 'text', val: '{"a": 1}' },
          { tag: 'float', val: Number.NaN },
          { tag: 'boolean', val: false },
        ],
      ]);
      expect(result.affectedRows).toBe(0n);
      const bytea = result.rows[0]![1] as { val: Uint8Array };
      expect(bytea.val).toBeInstanceOf(Uint8Array);
    });

    it('answers timestamptz as an ISO 8601 string with its offset', () => {
      const [[cell]] = sql('pg', "SELECT TIMESTAMPTZ '2024-02-03 04:05:06.5+00' AS at").rows as [[SqlValue]];
      expect(cell.tag).toBe('text');
      const iso = (cell as { val: string }).val;
      expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$/);
      expect(new Date(iso).toISOString()).toBe('2024-02-03T04:05:06.500Z');
    });

    it('counts the rows INSERT, UPDATE and DELETE change, and 0 for other statements', () => {
      const table = unique('berth_pg');
      expect(sql('pg', `CREATE TABLE ${table} (id int8 PRIMARY KEY, payload bytea)`).affectedRows).toBe(0n);
      try {
        const inserted = sql('pg', `INSERT INTO ${table} VALUES ($1, $2), ($3, $4)`, [
          { tag: 'integer', val: 9007199254740993n },
          { tag: 'bytes', val: bytes(0xde, 0xad) },
          { tag: 'integer', val: 2n },
          { tag: 'null' },
        ]);
        expect(inserted).toEqual({ columns: [], rows: [], affectedRows: 2n });
        expect(sql('pg', `UPDATE ${table} SET payload = $1 WHERE id > 0`, [{ tag: 'bytes', val: bytes(1) }]).affectedRows).toBe(2n);
        const selected = sql('pg', `SELECT id, payload FROM ${table} ORDER BY id`);
        expect(selected.affectedRows).toBe(0n);
        expect(selected.rows).toEqual([
          [{ tag: 'integer', val: 2n }, { tag: 'bytes', val: bytes(1) }],
          [{ tag: 'integer', val: 9007199254740993n }, { tag: 'bytes', val: bytes(1) }],
        ]);
        expect(sql('pg', `DELETE FROM ${table} WHERE id = $1`, [{ tag: 'integer', val: 2n }]).affectedRows).toBe(1n);
      } finally {
        sql('pg', `DROP TABLE IF EXISTS ${table}`);
      }
    });

    it("answers the server's error with its SQLSTATE, and the connection keeps working", () => {
      expect(capabilityError(() => sql('pg', `SELECT * FROM ${unique('berth_missing')}`))).toMatchObject({
        tag: 'database',
        val: { code: '42P01', message: expect.stringContaining('does not exist') },
      });
      expect(capabilityError(() => sql('pg', 'SELEC 1'))).toMatchObject({ tag: 'database', val: { code: '42601' } });
      expect(sql('pg', 'SELECT 2 AS two').rows).toEqual([[{ tag: 'integer', val: 2n }]]);
    });
  });

  describe('MariaDB', () => {
    it('binds parameters and types columns from their metadata', () => {
      const big = 2n ** 53n + 1n;
      const result = sql(
        'maria',
        `SELECT ? AS big, ? AS raw, ? AS t, ? + 0e0 AS f, ? AS absent, CAST(-7 AS SIGNED) AS neg, 1.5e0 AS dbl,
                CAST(1.50 AS DECIMAL(4,2)) AS num, CAST('2024-02-03 04:05:06' AS DATETIME) AS ts, DATE '2024-02-03' AS d,
                X'00ff' AS lit, 'plain' AS s, TRUE AS yes, CAST(18446744073709551615 AS UNSIGNED) AS huge`,
        [
          { tag: 'integer', val: big },
          { tag: 'bytes', val: bytes(0, 1, 255) },
          { tag: 'text', val: 'héllo ✓' },
          { tag: 'float', val: 2.5 },
          { tag: 'null' },
        ],
      );
      expect(result.columns).toEqual(['big', 'raw', 't', 'f', 'absent', 'neg', 'dbl', 'num', 'ts', 'd', 'lit', 's', 'yes', 'huge']);
      expect(result.rows).toEqual([
        [
          { tag: 'integer', val: big },
          { tag: 'bytes', val: bytes(0, 1, 255) },
          { tag: 'text', val: 'héllo ✓' },
          { tag: 'float', val: 2.5 },
          { tag: 'null' },
          { tag: 'integer', val: -7n },
          { tag: 'float', val: 1.5 },
          { tag: 'text', val: '1.50' },
          { tag: 'text', val: '2024-02-03T04:05:06' },
          { tag: 'text', val: '2024-02-03' },
          { tag: 'bytes', val: bytes(0, 255) },
          { tag: 'text', val: 'plain' },
          // MySQL's TRUE is TINYINT(1): an integer, as the server says
          { tag: 'integer', val: 1n },
          // BIGINT UNSIGNED past s64 cannot be an integer: its digits as text
          { tag: 'text', val: '18446744073709551615' },
        ],
      ]);
      expect(result.affectedRows).toBe(0n);
    });

    it('counts changed rows, and reads BLOB columns back as bytes', () => {
      const table = unique('berth_my');
      sql('maria', `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, payload BLOB, note TEXT)`);
      try {
        const inserted = sql('maria', `INSERT INTO ${table} VALUES (?, ?, ?), (?, ?, ?)`, [
          { tag: 'integer', val: 9007199254740993n },
          { tag: 'bytes', val: bytes(0xde, 0xad, 0) },
          { tag: 'text', val: 'ünïcode' },
          { tag: 'integer', val: 2n },
          { tag: 'null' },
          { tag: 'null' },
        ]);
        expect(inserted.affectedRows).toBe(2n);
        const selected = sql('maria', `SELECT id, payload, note FROM ${table} ORDER BY id`);
        expect(selected).toEqual({
          columns: ['id', 'payload', 'note'],
          rows: [
            [{ tag: 'integer', val: 2n }, { tag: 'null' }, { tag: 'null' }],
            [{ tag: 'integer', val: 9007199254740993n }, { tag: 'bytes', val: bytes(0xde, 0xad, 0) }, { tag: 'text', val: 'ünïcode' }],
          ],
          affectedRows: 0n,
        });
        expect(sql('maria', `UPDATE ${table} SET note = ? WHERE id = ?`, [{ tag: 'text', val: 'x' }, { tag: 'integer', val: 2n }]).affectedRows).toBe(1n);
        expect(sql('maria', `DELETE FROM ${table}`).affectedRows).toBe(2n);
      } finally {
        sql('maria', `DROP TABLE IF EXISTS ${table}`);
      }
    });

    it("answers the server's error with its SQLSTATE, and the connection keeps working", () => {
      expect(capabilityError(() => sql('maria', `SELECT * FROM ${unique('berth_missing')}`))).toMatchObject({
        tag: 'database',
        val: { code: '42S02', message: expect.stringContaining("doesn't exist") },
      });
      expect(capabilityError(() => sql('maria', 'SELEC 1'))).toMatchObject({ tag: 'database', val: { code: '42000' } });
      expect(sql('maria', 'SELECT 2 AS two').rows).toEqual([[{ tag: 'integer', val: 2n }]]);
    });
  });

  describe('Redis', () => {
    it('sends binary-safe arguments and tells status, bulk, integer and nil replies apart', () => {
      const key = unique('berth:key');
      try {
        expect(redis('SET', key, bytes(0, 0xff, 0x0a))).toEqual([{ tag: 'simple', val: 'OK' }]);
        expect(redis('GET', key)).toEqual([{ tag: 'bulk', val: bytes(0, 0xff, 0x0a) }]);
        expect(redis('TYPE', key)).toEqual([{ tag: 'simple', val: 'string' }]);
        // a bulk reply that looks like a status one stays bulk
        expect(redis('SET', key, 'OK')).toEqual([{ tag: 'simple', val: 'OK' }]);
        expect(redis('GET', key)).toEqual([{ tag: 'bulk', val: text('OK') }]);
        expect(redis('GET', unique('berth:absent'))).toEqual([{ tag: 'nil' }]);
        expect(redis('DEL', key)).toEqual([{ tag: 'integer', val: 1n }]);
      } finally {
        redis('DEL', key);
      }
    });

    it('counts with INCR exactly past 2^53', () => {
      const key = unique('berth:counter');
      try {
        expect(redis('INCR', key)).toEqual([{ tag: 'integer', val: 1n }]);
        expect(redis('INCRBY', key, '9007199254740992')).toEqual([{ tag: 'integer', val: 9007199254740993n }]);
        expect(redis('DECRBY', key, '9007199254740999')).toEqual([{ tag: 'integer', val: -6n }]);
      } finally {
        redis('DEL', key);
      }
    });

    it('returns an error reply as a redis-node, not a capability error', () => {
      const key = unique('berth:text');
      try {
        redis('SET', key, 'not a number');
        expect(redis('INCR', key)).toEqual([{ tag: 'error', val: 'ERR value is not an integer or out of range' }]);
        expect(redis('NOSUCHCOMMAND')).toEqual([{ tag: 'error', val: expect.stringMatching(/^ERR unknown command/) }]);
        expect(redis('GET', key)).toEqual([{ tag: 'bulk', val: text('not a number') }]);
      } finally {
        redis('DEL', key);
      }
    });

    it('flattens nested arrays in pre-order (EVAL returning nested tables, SCAN)', () => {
      const script = "return {1, 'two', {3, redis.status_reply('FINE'), redis.error_reply('BOOM nested'), {}}, false}";
      expect(redis('EVAL', script, '0')).toEqual<RedisNode[]>([
        { tag: 'array', val: 4 },
        { tag: 'integer', val: 1n },
        { tag: 'bulk', val: text('two') },
        { tag: 'array', val: 4 },
        { tag: 'integer', val: 3n },
        { tag: 'simple', val: 'FINE' },
        { tag: 'error', val: 'BOOM nested' },
        { tag: 'array', val: 0 },
        // Lua false is a nil reply
        { tag: 'nil' },
      ]);
      const key = unique('berth:scan');
      try {
        redis('SET', key, '1');
        const nodes = redis('SCAN', '0', 'MATCH', key, 'COUNT', '1000000');
        expect(nodes[0]).toEqual({ tag: 'array', val: 2 });
        expect(nodes[1]?.tag).toBe('bulk');
        expect(nodes[2]).toEqual({ tag: 'array', val: 1 });
        expect(nodes[3]).toEqual({ tag: 'bulk', val: text(key) });
        expect(nodes).toHaveLength(4);
      } finally {
        redis('DEL', key);
      }
    });
  });

  describe('grants', () => {
    it.each(['pg-socket-dir', 'pg-socket-file', 'maria-socket'])('connects over a Unix socket (%s)', (name) => {
      expect(sql(name, 'SELECT 6 AS six').rows).toEqual([[{ tag: 'integer', val: 6n }]]);
    });

    it("selects the grant's Redis database", () => {
      const key = unique('berth:db1');
      try {
        expect(connections.redisCommand('cache-db1', args('SET', key, 'in db 1'))).toEqual([{ tag: 'simple', val: 'OK' }]);
        expect(redis('EXISTS', key)).toEqual([{ tag: 'integer', val: 0n }]);
        expect(connections.redisCommand('cache-db1', args('GET', key))).toEqual([{ tag: 'bulk', val: text('in db 1') }]);
      } finally {
        connections.redisCommand('cache-db1', args('DEL', key));
      }
    });
  });

  describe('deny by default', () => {
    it('refuses a connection the grants do not name, and reports the denial', () => {
      denials.length = 0;
      expect(capabilityError(() => sql('nope', 'SELECT 1'))).toEqual({ tag: 'denied', val: expect.stringContaining('"nope"') });
      expect(capabilityError(() => connections.redisCommand('nope', args('PING')))).toEqual({ tag: 'denied', val: expect.stringContaining('"nope"') });
      // names that exist on every object are not grants either
      expect(capabilityError(() => sql('constructor', 'SELECT 1'))).toMatchObject({ tag: 'denied' });
      expect(capabilityError(() => sql('__proto__', 'SELECT 1'))).toMatchObject({ tag: 'denied' });
      expect(denials).toHaveLength(4);
      expect(denials[0]).toEqual(['connections', expect.stringContaining('"nope"')]);
    });

    it('refuses SQL on a Redis connection and Redis commands on a SQL one', () => {
      denials.length = 0;
      expect(capabilityError(() => sql('cache', 'SELECT 1'))).toEqual({ tag: 'denied', val: expect.stringContaining('"cache"') });
      expect(capabilityError(() => connections.redisCommand('pg', args('PING')))).toEqual({ tag: 'denied', val: expect.stringContaining('"pg"') });
      expect(capabilityError(() => connections.redisCommand('maria', args('PING')))).toMatchObject({ tag: 'denied' });
      expect(denials.map(([capability]) => capability)).toEqual(['connections', 'connections', 'connections']);
    });

    it('answers invalid for a Redis command without even its name', () => {
      expect(capabilityError(() => connections.redisCommand('cache', []))).toMatchObject({ tag: 'invalid' });
    });
  });

  describe('a datastore that cannot be reached', () => {
    it.each(['pg-down', 'maria-down', 'pg-missing-socket'])('answers unavailable for %s', (name) => {
      expect(capabilityError(() => sql(name, 'SELECT 1'))).toEqual({ tag: 'unavailable', val: expect.stringContaining(`"${name}"`) });
      // and again: a failed connect is not cached as a client
      expect(capabilityError(() => sql(name, 'SELECT 1'))).toMatchObject({ tag: 'unavailable' });
    });

    it('answers unavailable for a Redis server that is not listening', () => {
      expect(capabilityError(() => connections.redisCommand('cache-down', args('PING')))).toEqual({
        tag: 'unavailable',
        val: expect.stringContaining('ECONNREFUSED'),
      });
    });

    it('refuses to run commands on database 0 when the granted database cannot be selected', () => {
      expect(capabilityError(() => connections.redisCommand('cache-db-out-of-range', args('PING')))).toEqual({
        tag: 'database',
        val: { code: 'ERR', message: expect.stringContaining('DB index') },
      });
    });

    it('leaves the connections that work alone', () => {
      expect(sql('pg', 'SELECT 3 AS three').rows).toEqual([[{ tag: 'integer', val: 3n }]]);
      expect(redis('PING')).toEqual([{ tag: 'simple', val: 'PONG' }]);
    });
  });
});

describe('createConnections: deadlines', () => {
  const TIMEOUT_MS = 300;
  let connections: Connections;
  let observer: Connections;

  beforeAll(() => {
    connections = createConnections(GRANTS, { timeoutMs: TIMEOUT_MS });
    observer = createConnections(GRANTS, { timeoutMs: 10_000 });
    // start the bridge thread first, so its start-up is not counted against the deadline below
    connections.sqlQuery('pg', 'SELECT 1', []);
  });
  afterAll(() => {
    connections.close();
    observer.close();
  });

  const timed = (run: () => unknown) => {
    const started = Date.now();
    const error = capabilityError(run);
    return { error, elapsed: Date.now() - started };
  };

  it('answers timeout for a slow PostgreSQL query, cancels it on the server, and the next query works', async () => {
    const marker = unique('berth_sleep');
    const { error, elapsed } = timed(() => connections.sqlQuery('pg', `SELECT pg_sleep(5) AS ${marker}`, []));
    expect(error).toMatchObject({ tag: 'timeout' });
    expect(elapsed).toBeLessThan(2500);
    expect(connections.sqlQuery('pg', 'SELECT 4 AS four', []).rows).toEqual([[{ tag: 'integer', val: 4n }]]);
    // the abandoned statement does not keep running on the server
    const running = () =>
      (observer.sqlQuery('pg', "SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1", [{ tag: 'text', val: `%AS ${marker}` }])
        .rows[0]![0] as { val: bigint }).val;
    const deadline = Date.now() + 4000;
    while (running() > 0n && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(running()).toBe(0n);
  });

  it('answers timeout for a slow MariaDB query, kills it on the server, and the next query works', async () => {
    const marker = unique('berth_sleep');
    const { error, elapsed } = timed(() => connections.sqlQuery('maria', `SELECT SLEEP(5) AS ${marker}`, []));
    expect(error).toMatchObject({ tag: 'timeout' });
    expect(elapsed).toBeLessThan(2500);
    expect(connections.sqlQuery('maria', 'SELECT 5 AS five', []).rows).toEqual([[{ tag: 'integer', val: 5n }]]);
    const running = () =>
      (observer.sqlQuery('maria', 'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()', [{ tag: 'text', val: `%AS ${marker}` }])
        .rows[0]![0] as { val: bigint }).val;
    const deadline = Date.now() + 4000;
    while (running() > 0n && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(running()).toBe(0n);
  });

  it('answers timeout for a blocking Redis command and the next command works', () => {
    const { error, elapsed } = timed(() => connections.redisCommand('cache', args('BLPOP', unique('berth:never'), '5')));
    expect(error).toMatchObject({ tag: 'timeout' });
    expect(elapsed).toBeLessThan(2500);
    expect(connections.redisCommand('cache', args('PING'))).toEqual([{ tag: 'simple', val: 'PONG' }]);
  });

  it('answers unavailable after close, which may be called again', () => {
    const closing = createConnections(GRANTS, { timeoutMs: TIMEOUT_MS * 10 });
    expect(closing.redisCommand('cache', args('PING'))).toEqual([{ tag: 'simple', val: 'PONG' }]);
    closing.close();
    closing.close();
    expect(capabilityError(() => closing.sqlQuery('pg', 'SELECT 1', []))).toMatchObject({ tag: 'unavailable' });
  });
});

describe('createConnections from the compiled dist/ (plain JavaScript worker)', () => {
  it('runs a query through dist/host/capabilities/connections.js', async () => {
    // test/support/global-setup.ts compiles dist/ before any test runs
    const compiled = (await import(pathToFileURL(join(PACKAGE_ROOT, 'dist', 'host', 'capabilities', 'connections.js')).href)) as {
      createConnections: typeof createConnections;
    };
    const connections = compiled.createConnections(GRANTS, { timeoutMs: 10_000 });
    try {
      const result: SqlResult = connections.sqlQuery('pg', 'SELECT $1::int8 AS n', [{ tag: 'integer', val: 2n ** 60n }]);
      expect(result.rows).toEqual([[{ tag: 'integer', val: 2n ** 60n }]]);
      expect(connections.redisCommand('cache', args('PING'))).toEqual([{ tag: 'simple', val: 'PONG' }]);
    } finally {
      connections.close();
    }
  });
});

describe('ctx.sql and ctx.redis in a real component (quickjs)', () => {
  let exports: ExportedInterfaces;
  let connections: Connections;

  beforeAll(async () => {
    const { bytes: wasm } = await buildFixture('sql-probe', 'quickjs');
    connections = createConnections(GRANTS, { timeoutMs: 10_000 });
    exports = await instantiateBytes(wasm, { connections });
  });
  afterAll(() => connections?.close());

  /** One request to the probe manager, its JSON answer decoded. */
  function probe(request: unknown): Record<string, unknown> {
    const outcome = call(exports.guestLog!.guestLogRead, JSON.stringify(request), 0n, 1 << 20) as { ok?: { data: Uint8Array }; err?: unknown; trap?: string };
    if (!outcome.ok) throw new Error(`the probe did not answer: ${JSON.stringify(outcome)}`);
    return JSON.parse(new TextDecoder().decode(outcome.ok.data)) as Record<string, unknown>;
  }

  it('runs a PostgreSQL query with parameters and reads typed cells', () => {
    expect(
      probe({ sql: { connection: 'pg', statement: 'SELECT $1::int8 + 1 AS n, $2::text AS t, $3::bytea AS b, $4::float8 AS f, NULL AS z, true AS yes', params: [{ int: '41' }, 'héllo', { hex: '00ff10' }, 0.5] } }),
    ).toEqual({ ok: { columns: ['n', 't', 'b', 'f', 'z', 'yes'], rows: [[42, 'héllo', { hex: '00ff10' }, 0.5, null, true]], affectedRows: 0 } });
  });

  it('inserts into a table and reads the affected row count, on PostgreSQL and MariaDB', () => {
    for (const connection of ['pg', 'maria']) {
      const table = unique(`berth_component_${connection}`);
      const placeholders = connection === 'pg' ? '($1, $2), ($3, $4)' : '(?, ?), (?, ?)';
      probe({ sql: { connection, statement: `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, note TEXT)` } });
      try {
        expect(probe({ sql: { connection, statement: `INSERT INTO ${table} VALUES ${placeholders}`, params: [1, 'one', 2, 'two'] } })).toEqual({
          ok: { columns: [], rows: [], affectedRows: 2 },
        });
        expect(probe({ sql: { connection, statement: `SELECT id, note FROM ${table} ORDER BY id` } })).toEqual({
          ok: { columns: ['id', 'note'], rows: [[1, 'one'], [2, 'two']], affectedRows: 0 },
        });
      } finally {
        probe({ sql: { connection, statement: `DROP TABLE IF EXISTS ${table}` } });
      }
    }
  });

  it('sees a SQL error as a CapabilityError carrying the SQLSTATE', () => {
    expect(probe({ sql: { connection: 'pg', statement: `SELECT * FROM ${unique('berth_missing')}` } })).toEqual({
      capabilityError: { tag: 'database', val: { code: '42P01', message: expect.stringContaining('does not exist') } },
    });
    expect(probe({ sql: { connection: 'maria', statement: `SELECT * FROM ${unique('berth_missing')}` } })).toEqual({
      capabilityError: { tag: 'database', val: { code: '42S02', message: expect.any(String) } },
    });
  });

  it('is denied a connection its grants do not name, or of the wrong kind', () => {
    expect(probe({ sql: { connection: 'admin', statement: 'SELECT 1' } })).toEqual({ capabilityError: { tag: 'denied', val: expect.stringContaining('"admin"') } });
    expect(probe({ sql: { connection: 'cache', statement: 'SELECT 1' } })).toEqual({ capabilityError: { tag: 'denied', val: expect.stringContaining('"cache"') } });
    expect(probe({ redis: { connection: 'pg', args: ['PING'] } })).toEqual({ capabilityError: { tag: 'denied', val: expect.stringContaining('"pg"') } });
  });

  it('sees an unreachable server as unavailable', () => {
    expect(probe({ sql: { connection: 'pg-down', statement: 'SELECT 1' } })).toEqual({ capabilityError: { tag: 'unavailable', val: expect.any(String) } });
    expect(probe({ redis: { connection: 'cache-down', args: ['PING'] } })).toEqual({ capabilityError: { tag: 'unavailable', val: expect.any(String) } });
  });

  it('runs Redis commands: SET, GET, INCR, an error reply and a nested reply', () => {
    const key = unique('berth:component');
    try {
      expect(probe({ redis: { connection: 'cache', args: ['SET', key, 'value ✓'] } })).toEqual({ ok: { reply: 'OK' } });
      expect(probe({ redis: { connection: 'cache', args: ['GET', key] } })).toEqual({ ok: { reply: 'value ✓' } });
      expect(probe({ redis: { connection: 'cache', args: ['INCR', key] } })).toEqual({ ok: { replyError: 'Redis replied ERR value is not an integer or out of range' } });
      expect(probe({ redis: { connection: 'cache', args: ['DEL', key] } })).toEqual({ ok: { reply: 1 } });
      expect(probe({ redis: { connection: 'cache', args: ['INCR', key] } })).toEqual({ ok: { reply: 1 } });
      expect(probe({ redis: { connection: 'cache', args: ['EVAL', "return {1, {'a', {2}}, 'b'}", '0'] } })).toEqual({ ok: { reply: [1, ['a', [2]], 'b'] } });
    } finally {
      probe({ redis: { connection: 'cache', args: ['DEL', key] } });
    }
  });
});

describe('createConnections: a result larger than one call may receive', () => {
  it('is cut off once its bytes pass the bound, answers failed naming the bound, and the next query works', () => {
    const connections = createConnections(GRANTS, { timeoutMs: 20_000, resultLimitBytes: 8 * 1024 * 1024, limitSource: 'host.memory_limit' });
    try {
      expect(connections.sqlQuery('pg', 'SELECT 1 AS one', []).rows).toEqual([[{ tag: 'integer', val: 1n }]]);
      // 200 rows of 1 MB: some 200 MB the driver would hold, against an 8 MiB bound
      const error = capabilityError(() => connections.sqlQuery('pg', "SELECT repeat('x', 1000000) AS big FROM generate_series(1, 200)", []));
      expect(error).toMatchObject({ tag: 'failed', val: expect.stringContaining('8 MiB') });
      expect(connections.sqlQuery('pg', 'SELECT 2 AS two', []).rows).toEqual([[{ tag: 'integer', val: 2n }]]);
      // Redis and MariaDB answers are counted the same way
      expect(capabilityError(() => connections.redisCommand('cache', args('EVAL', "return string.rep('x', 9 * 1024 * 1024)", '0')))).toMatchObject({ tag: 'failed' });
      expect(connections.redisCommand('cache', args('PING'))).toEqual([{ tag: 'simple', val: 'PONG' }]);
      expect(capabilityError(() => connections.sqlQuery('maria', "SELECT REPEAT('x', 1000000) AS big FROM seq_1_to_20", []))).toMatchObject({ tag: 'failed' });
      expect(connections.sqlQuery('maria', 'SELECT 3 AS three', []).rows).toEqual([[{ tag: 'integer', val: 3n }]]);
    } finally {
      connections.close();
    }
  }, 60_000);
});
