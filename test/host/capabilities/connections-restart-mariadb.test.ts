// The connections capability across restarts of its datastore, a private MariaDB: shut down and
// started, killed -9 (crash recovery at the next start), and killed in the middle of a statement,
// under a pooled connection. As connections-restart-postgres.test.ts, for the MySQL client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnections } from '../../../host/capabilities/connections.js';
import type { SqlValue } from '../../../host/generated/interfaces/berth-datastore-connections.js';
import { capabilityError, unique } from '../../support/connection-calls.js';
import { killWhenRunning } from '../../support/kill-mid-statement.js';
import { PrivateMariadb } from '../../support/private-mariadb.js';

let server: PrivateMariadb;
let connections: ReturnType<typeof createConnections>;
const sql = (statement: string, params: SqlValue[] = []) => connections.sqlQuery('maria', statement, params);
const rows = (statement: string) => sql(statement).rows;
const ACCOUNT = "berth_manager@'127.0.0.1'";

const RESTARTS: Array<[string, () => Promise<void>]> = [
  [
    'shut down and started',
    async () => {
      await server.stop();
      await server.start();
    },
  ],
  [
    'killed -9 and started (crash recovery)',
    async () => {
      await server.kill();
      await server.start();
    },
  ],
];

beforeAll(async () => {
  server = await PrivateMariadb.create();
  server.sql(`CREATE DATABASE test; CREATE USER ${ACCOUNT}; GRANT ALL ON test.* TO ${ACCOUNT}`);
  connections = createConnections({ maria: { kind: 'mysql', url: `mysql://berth_manager@127.0.0.1:${server.port}/test` } }, { timeoutMs: 20_000 });
}, 120_000);
afterAll(() => {
  connections?.close();
  server?.destroy();
});

describe('MariaDB restarted under a pooled connection', () => {
  it.each(RESTARTS)('answers the first read after the server was %s, then a write', async (_, restart) => {
    expect(rows('SELECT 1 AS one')).toEqual([[{ tag: 'integer', val: 1n }]]);
    await restart();
    expect(rows('SELECT 2 AS two')).toEqual([[{ tag: 'integer', val: 2n }]]);
    const table = unique('berth_after_restart');
    sql(`CREATE TABLE ${table} (id BIGINT)`);
    expect(sql(`INSERT INTO ${table} VALUES (?)`, [{ tag: 'integer', val: 7n }]).affectedRows).toBe(1n);
  });

  it.each(RESTARTS)('answers the first write (DDL) after the server was %s, then a read', async (_, restart) => {
    expect(rows('SELECT 1 AS one')).toEqual([[{ tag: 'integer', val: 1n }]]);
    await restart();
    const table = unique('berth_after_restart');
    sql(`CREATE TABLE ${table} AS SELECT 1 AS id`);
    expect(rows(`SELECT COUNT(*) FROM ${table}`)).toEqual([[{ tag: 'integer', val: 1n }]]);
  });

  it('swaps in a new connection after SET GLOBAL, which a new connection has as well (the manager applies configuration so)', async () => {
    // refused or not for this account, it went to the server, and it names the server's setting only
    try {
      sql('SET GLOBAL max_connections = 151');
    } catch {
      // denied without SUPER: still sent, still read for session state
    }
    await server.stop();
    await server.start();
    // read as session state, this answered unavailable: the status probe after a restart said CRASHED
    expect(rows('SELECT 5 AS five')).toEqual([[{ tag: 'integer', val: 5n }]]);
  });

  it('checks the login of the new connection: an account given FILE meanwhile is refused', async () => {
    expect(rows('SELECT 1 AS one')).toEqual([[{ tag: 'integer', val: 1n }]]);
    server.sql(`GRANT FILE ON *.* TO ${ACCOUNT}`);
    try {
      // the pooled session was checked when it logged in, and keeps working
      expect(rows('SELECT 2 AS two')).toEqual([[{ tag: 'integer', val: 2n }]]);
      await server.stop();
      await server.start();
      expect(capabilityError(() => sql('SELECT 3 AS three'))).toEqual({ tag: 'denied', val: expect.stringContaining('FILE') });
    } finally {
      server.sql(`REVOKE FILE ON *.* FROM ${ACCOUNT}`);
    }
    expect(rows('SELECT 4 AS four')).toEqual([[{ tag: 'integer', val: 4n }]]);
  });

  it('does not swap in a new connection for one lost inside a transaction: the rest would run outside it', async () => {
    const table = unique('berth_in_transaction');
    sql(`CREATE TABLE ${table} (id BIGINT) ENGINE=InnoDB`);
    sql('START TRANSACTION');
    sql(`INSERT INTO ${table} VALUES (1)`);
    await server.stop();
    await server.start();
    expect(capabilityError(() => sql(`INSERT INTO ${table} VALUES (2)`))).toEqual({ tag: 'unavailable', val: expect.stringContaining('open transaction') });
    // the next call connects afresh; the first insert went with its transaction, the second was never sent
    expect(rows(`SELECT COUNT(*) FROM ${table}`)).toEqual([[{ tag: 'integer', val: 0n }]]);
  });

  it('does not swap in a new connection for one lost with a session setting the new one would lack', async () => {
    // as a dump sets it for the rows it inserts: in another session the same TIMESTAMP text is another instant
    sql("/*!40103 SET TIME_ZONE='+05:00' */");
    await server.kill();
    await server.start();
    expect(capabilityError(() => sql('SELECT @@session.time_zone'))).toEqual({ tag: 'unavailable', val: expect.stringContaining('SET TIME_ZONE') });
    expect(rows('SELECT @@session.time_zone')).toEqual([[{ tag: 'text', val: 'SYSTEM' }]]);
  });

  it('does not send again a statement the server ran before the connection broke', () => {
    const table = unique('berth_once');
    sql(`CREATE TABLE ${table} (id BIGINT AUTO_INCREMENT PRIMARY KEY)`);
    // committed (autocommit), then the connection ends itself in the middle of the same call
    sql(`CREATE PROCEDURE ${table}_then_die() BEGIN INSERT INTO ${table} VALUES (); KILL CONNECTION_ID(); END`);
    expect(capabilityError(() => sql(`CALL ${table}_then_die()`))).toMatchObject({ tag: 'unavailable' });
    expect(rows(`SELECT COUNT(*) FROM ${table}`)).toEqual([[{ tag: 'integer', val: 1n }]]);
  });

  it('answers unavailable for a statement in flight when the server is killed, and the next call works once it is back', async () => {
    expect(rows('SELECT 1 AS one')).toEqual([[{ tag: 'integer', val: 1n }]]);
    const marker = unique('berth_in_flight');
    const killer = killWhenRunning({ kind: 'mysql', port: server.port, marker, pid: server.pid });
    const error = capabilityError(() => sql(`SELECT SLEEP(60) AS ${marker}`));
    await killer.done;
    expect(error).toMatchObject({ tag: 'unavailable' });
    await server.kill();
    await server.start();
    expect(rows('SELECT 2 AS two')).toEqual([[{ tag: 'integer', val: 2n }]]);
  });
});
