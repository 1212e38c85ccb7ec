// The connections capability across restarts of its datastore, a private PostgreSQL: stopped and
// started, killed -9 (crash recovery at the next start), and killed in the middle of a statement,
// under a pooled connection. The first call after the datastore is back must work, without the
// test retrying; a statement the server may have run must never be sent twice; a pooled session
// holding state a new one would lack must not be swapped silently (host/capabilities/connections-reconnect.ts).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnections } from '../../../host/capabilities/connections.js';
import type { SqlValue } from '../../../host/generated/interfaces/berth-datastore-connections.js';
import { capabilityError, unique } from '../../support/connection-calls.js';
import { killWhenRunning } from '../../support/kill-mid-statement.js';
import { PrivatePostgres } from '../../support/private-postgres.js';

let server: PrivatePostgres;
let connections: ReturnType<typeof createConnections>;
const sql = (statement: string, params: SqlValue[] = []) => connections.sqlQuery('pg', statement, params);
const rows = (statement: string) => sql(statement).rows;

/** A statement as the server's superuser, on a client of the test's own. */
async function asSuperuser(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

const RESTARTS: Array<[string, () => Promise<void>]> = [
  [
    'stopped and started',
    async () => {
      server.stop();
      server.start();
    },
  ],
  [
    'killed -9 and started (crash recovery)',
    async () => {
      await server.kill();
      server.start();
    },
  ],
];

beforeAll(async () => {
  server = await PrivatePostgres.create();
  await asSuperuser('CREATE ROLE berth_manager LOGIN');
  await asSuperuser('CREATE DATABASE test OWNER berth_manager');
  connections = createConnections({ pg: { kind: 'postgresql', url: `postgres://berth_manager@127.0.0.1:${server.port}/test` } }, { timeoutMs: 20_000 });
}, 120_000);
afterAll(() => {
  connections?.close();
  server?.destroy();
});

describe('PostgreSQL restarted under a pooled connection', () => {
  it.each(RESTARTS)('answers the first read after the server was %s, then a write', async (_, restart) => {
    expect(rows('SELECT 1 AS one')).toEqual([[{ tag: 'integer', val: 1n }]]);
    await restart();
    expect(rows('SELECT 2 AS two')).toEqual([[{ tag: 'integer', val: 2n }]]);
    const table = unique('berth_after_restart');
    sql(`CREATE TABLE ${table} (id int8)`);
    expect(sql(`INSERT INTO ${table} VALUES ($1)`, [{ tag: 'integer', val: 7n }]).affectedRows).toBe(1n);
  });

  it.each(RESTARTS)('answers the first write (DDL) after the server was %s, then a read', async (_, restart) => {
    expect(rows('SELECT 1 AS one')).toEqual([[{ tag: 'integer', val: 1n }]]);
    await restart();
    const table = unique('berth_after_restart');
    expect(sql(`CREATE TABLE ${table} AS SELECT 1 AS id`).affectedRows).toBe(0n);
    expect(rows(`SELECT count(*) FROM ${table}`)).toEqual([[{ tag: 'integer', val: 1n }]]);
  });

  it('checks the login of the new connection: a role made superuser meanwhile is refused', async () => {
    expect(rows('SELECT 1 AS one')).toEqual([[{ tag: 'integer', val: 1n }]]);
    await asSuperuser('ALTER ROLE berth_manager SUPERUSER');
    try {
      // the pooled session was checked when it logged in, and keeps working
      expect(rows('SELECT 2 AS two')).toEqual([[{ tag: 'integer', val: 2n }]]);
      server.stop();
      server.start();
      expect(capabilityError(() => sql('SELECT 3 AS three'))).toEqual({ tag: 'denied', val: expect.stringContaining('superuser') });
    } finally {
      await asSuperuser('ALTER ROLE berth_manager NOSUPERUSER');
    }
    expect(rows('SELECT 4 AS four')).toEqual([[{ tag: 'integer', val: 4n }]]);
  });

  it('does not swap in a new connection for one lost inside a transaction: the rest would run outside it', async () => {
    const table = unique('berth_in_transaction');
    sql(`CREATE TABLE ${table} (id int8)`);
    sql('BEGIN');
    sql(`INSERT INTO ${table} VALUES (1)`);
    server.stop();
    server.start();
    expect(capabilityError(() => sql(`INSERT INTO ${table} VALUES (2)`))).toEqual({ tag: 'unavailable', val: expect.stringContaining('open transaction') });
    // the next call connects afresh; the first insert went with its transaction, the second was never sent
    expect(rows(`SELECT count(*) FROM ${table}`)).toEqual([[{ tag: 'integer', val: 0n }]]);
  });

  it('swaps in a new connection after a statement that only names the TEMPORARY privilege, as every database the manager creates does', () => {
    sql('REVOKE CONNECT, TEMPORARY ON DATABASE test FROM PUBLIC');
    server.stop();
    server.start();
    // read as session state, this answered unavailable: the status probe after a restart said CRASHED
    expect(rows('SELECT 5 AS five')).toEqual([[{ tag: 'integer', val: 5n }]]);
  });

  it('does not swap in a new connection for one lost with a session setting the new one would lack', async () => {
    sql('CREATE SCHEMA IF NOT EXISTS elsewhere');
    sql('SET search_path TO elsewhere');
    server.stop();
    server.start();
    expect(capabilityError(() => sql('SELECT current_schema()'))).toEqual({ tag: 'unavailable', val: expect.stringContaining('SET search_path') });
    expect(rows('SELECT current_schema()')).toEqual([[{ tag: 'text', val: 'public' }]]);
  });

  it('does not send again a statement the server ran before the connection broke', () => {
    const table = unique('berth_once');
    sql(`CREATE TABLE ${table} (id serial)`);
    // committed, then the backend ends itself in the middle of the same call
    const error = capabilityError(() => sql(`BEGIN; INSERT INTO ${table} DEFAULT VALUES; COMMIT; SELECT pg_terminate_backend(pg_backend_pid())`));
    expect(error).toMatchObject({ tag: 'unavailable' });
    expect(rows(`SELECT count(*) FROM ${table}`)).toEqual([[{ tag: 'integer', val: 1n }]]);
  });

  it('answers unavailable for a statement in flight when the server is killed, and the next call works once it is back', async () => {
    expect(rows('SELECT 1 AS one')).toEqual([[{ tag: 'integer', val: 1n }]]);
    const marker = unique('berth_in_flight');
    const killer = killWhenRunning({ kind: 'postgresql', port: server.port, marker, pid: -server.postmasterPid() });
    const error = capabilityError(() => sql(`SELECT pg_sleep(60) AS ${marker}`));
    await killer.done;
    expect(error).toMatchObject({ tag: 'unavailable' });
    await server.kill();
    server.start();
    expect(rows('SELECT 2 AS two')).toEqual([[{ tag: 'integer', val: 2n }]]);
  });
});
