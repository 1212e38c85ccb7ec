// What the host reads as session state a new connection would lack (connections-session-state.ts):
// the statements and commands that keep a lost connection from being swapped for a fresh one.
import { describe, expect, it } from 'vitest';
import { RedisSessionState, sqlSessionEffect } from '../../../host/capabilities/connections-session-state.js';

describe('sqlSessionEffect', () => {
  it.each([
    'SET search_path TO elsewhere',
    'set session time_zone = "+05:00"',
    'RESET ALL',
    'USE test',
    'LOCK TABLES t WRITE',
    "PREPARE p FROM 'SELECT 1'",
    'LISTEN channel',
    // a dump's executable comments, MySQL's and MariaDB's, after comments of either kind
    "/*!40103 SET TIME_ZONE='+00:00' */",
    "/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */",
    '-- restore\n/* header */ # more\n  SET NAMES utf8mb4',
    // one of several statements in PostgreSQL's simple protocol
    'SELECT 1; SET LOCAL statement_timeout = 0',
    'CREATE TEMP TABLE scratch (id int)',
    'CREATE TEMPORARY TABLE scratch (id int)',
    'CREATE GLOBAL TEMPORARY TABLE scratch (id int)',
    'CREATE OR REPLACE TEMP VIEW v AS SELECT 1',
    'create /* why */ temp sequence s',
    'SELECT * INTO TEMP scratch FROM t',
    'DROP TEMPORARY TABLE scratch',
    'CREATE TABLE pg_temp.scratch (id int)',
    "SELECT set_config('search_path', 'x', false)",
    'SELECT pg_advisory_lock(42)',
    "SELECT GET_LOCK('name', 0)",
    'SELECT @counter := 1',
    'SELECT COUNT(*) INTO @n FROM t',
    // a server setting beside one of the session's
    'SET GLOBAL max_connections = 200, SESSION sql_mode = DEFAULT',
    'SET GLOBAL max_connections = 200, @@session.time_zone = "+00:00"',
    'SET GLOBAL max_connections = @limit',
    'SET GLOBAL max_connections = 200; SET NAMES utf8mb4',
  ])('reads %j as setting session state', (statement) => {
    expect(sqlSessionEffect(statement)).toMatch(/^session state set by "/);
  });

  it.each([
    'SELECT 1',
    'INSERT INTO t VALUES (1)',
    "UPDATE t SET name = 'x' WHERE id = 1",
    "ALTER ROLE app SET search_path = 'x'",
    'CREATE DATABASE app',
    "CREATE USER 'app'@'%' IDENTIFIED BY 'secret'",
    'GRANT ALL ON app.* TO app',
    'BEGIN; INSERT INTO t DEFAULT VALUES; COMMIT',
    'SELECT pg_advisory_xact_lock(42)',
    'SHOW VARIABLES',
    // the TEMPORARY privilege is the database's, not the session's (every database the PostgreSQL manager creates)
    'REVOKE CONNECT, TEMPORARY ON DATABASE "shop" FROM PUBLIC',
    'GRANT TEMP ON DATABASE shop TO alice',
    'GRANT CREATE TEMPORARY TABLES ON shop.* TO alice',
    'INSERT INTO temperatures VALUES (1)',
    // the server's settings, which a new connection has too (the MySQL manager's configuration and guest logs)
    'SET GLOBAL max_connections = 200',
    "SET GLOBAL general_log_file = '/var/log/my@log', general_log = ON",
    'SET @@GLOBAL.slow_query_log = OFF',
    'SET PERSIST innodb_io_capacity = 400',
    // replication's server state (the MySQL manager's attach-replica and detach-replica)
    'RESET MASTER',
    'RESET SLAVE ALL',
    'reset replica all',
  ])('reads %j as leaving the session as it was', (statement) => {
    expect(sqlSessionEffect(statement)).toBeUndefined();
  });

  it('names the statement, shortened', () => {
    const statement = `SET search_path TO ${'x'.repeat(200)}`;
    expect(sqlSessionEffect(statement)).toBe(`session state set by "${statement.slice(0, 60)}"`);
  });
});

describe('RedisSessionState', () => {
  const run = (state: RedisSessionState, name: string, subcommand?: string) => {
    state.beforeSend(name, subcommand);
    state.answered(name);
  };

  it('holds an open MULTI until EXEC or DISCARD, and WATCHed keys until then or UNWATCH', () => {
    const state = new RedisSessionState();
    run(state, 'multi');
    run(state, 'incr');
    expect(state.held()).toBe('an open MULTI transaction');
    run(state, 'exec');
    expect(state.held()).toBeUndefined();
    run(state, 'watch');
    expect(state.held()).toBe('WATCHed keys');
    run(state, 'unwatch');
    expect(state.held()).toBeUndefined();
    run(state, 'watch');
    run(state, 'multi');
    run(state, 'discard');
    expect(state.held()).toBeUndefined();
  });

  it('counts a MULTI sent but not yet answered as open: it may have reached the server', () => {
    const state = new RedisSessionState();
    state.beforeSend('multi', undefined);
    expect(state.held()).toBe('an open MULTI transaction');
  });

  it('holds what SELECT, AUTH and CLIENT SETNAME changed for good (naming no argument but a subcommand), not what CLIENT LIST or GET read', () => {
    const quiet = new RedisSessionState();
    run(quiet, 'client', 'list');
    run(quiet, 'get');
    expect(quiet.held()).toBeUndefined();
    for (const [name, subcommand, held] of [
      ['select', '2', 'session state set by SELECT'],
      // never its password
      ['auth', 'secret', 'session state set by AUTH'],
      ['client', 'setname', 'session state set by CLIENT SETNAME'],
    ] as const) {
      const state = new RedisSessionState();
      run(state, name, subcommand);
      expect(state.held()).toBe(held);
    }
  });
});
