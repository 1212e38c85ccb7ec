import { createHash } from 'node:crypto';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { mysqlDatastore } from '../../../server/registry/builtin-datastores.js';
import { requireDatastorePrograms } from '../../reliability/support/datastore-cases.js';
import { withMysql } from '../../support/sql-clients.js';
import type { ReplicatedStore } from './sql-replication.js';

// The MySQL side of the Trove replication and failover suites: the datastore (MariaDB 10.11) and the
// checks made in mariadbd itself, as the instance's own user with mysql2.
requireDatastorePrograms();
const { versions: _versions, ...family } = mysqlDatastore('10.11', { path: '/placeholder', sha256: '0'.repeat(64) }, 'mysql') as { versions: unknown };
const ADA = { user: 'ada', password: 'ada-secret-123', database: 'sales' };

const connect = (port: number, connectTimeout = 3000) => mysql.createConnection({ host: '127.0.0.1', port, user: ADA.user, password: ADA.password, database: ADA.database, connectTimeout });

const rows = async (connection: mysql.Connection, sql: string, values: unknown[] = []) => (await connection.query(sql, values))[0] as Array<Record<string, unknown>>;

export const store: ReplicatedStore = {
  type: 'mysql',
  version: '10.11',
  user: ADA,
  // read_only: error 1290, ER_OPTION_PREVENTS_STATEMENT
  readOnlyCode: 'ER_OPTION_PREVENTS_STATEMENT',
  createTable: (port) => withMysql(port, ADA, async (c) => void (await c.query('CREATE TABLE orders (id int PRIMARY KEY, note text)'))),
  insert: (port, id, note) => withMysql(port, ADA, async (c) => void (await c.query('INSERT INTO orders VALUES (?, ?)', [id, note]))),
  // 500 rows of 1,920 bytes a statement (a row event each in the binary log)
  insertMany: (port, from, count) =>
    withMysql(port, ADA, async (c) => {
      for (let start = from; start < from + count; start += 500) {
        const batch = Array.from({ length: Math.min(500, from + count - start) }, (_, i) => [start + i, createHash('md5').update(String(start + i)).digest('hex').repeat(60)]);
        await c.query('INSERT INTO orders VALUES ?', [batch]);
      }
    }),
  noteOf: (port, id) => withMysql(port, ADA, async (c) => (await rows(c, 'SELECT note FROM orders WHERE id = ?', [id]))[0]?.note as string | undefined),
  countOf: (port, ids) => withMysql(port, ADA, async (c) => Number((await rows(c, 'SELECT count(*) AS n FROM orders WHERE id IN (?)', [ids]))[0]!.n)),
  // the manager's position: the sequence number of the domain's last GTID this server applied or wrote
  position: (port) =>
    withMysql(port, ADA, async (c) => {
      const [row] = await rows(c, 'SELECT @@GLOBAL.gtid_current_pos AS pos, @@GLOBAL.gtid_domain_id AS domain');
      const gtid = String(row!.pos).split(',').find((part) => part.startsWith(`${row!.domain}-`));
      return BigInt(gtid?.split('-')[2] ?? '0');
    }),
  openWriter(port) {
    let connection: mysql.Connection | undefined;
    return {
      async write(id) {
        if (!connection) {
          const fresh = await connect(port, 2000);
          fresh.on('error', () => undefined);
          connection = fresh;
        }
        try {
          await connection.query('INSERT INTO orders VALUES (?, ?)', [id, 'load']);
        } catch (error) {
          if ((error as { code?: string }).code !== 'ER_OPTION_PREVENTS_STATEMENT') {
            connection.destroy();
            connection = undefined;
          }
          throw error;
        }
      },
      close: async () => void (await connection?.end().catch(() => undefined)),
    };
  },
};


/** The datastore family without its versions: each suite names its own. */
export { family };
export const mysqlManager = { entry: join(PACKAGE_ROOT, 'datastores', 'mysql', 'manager.ts') };
