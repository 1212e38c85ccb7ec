import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { mysqlDatastore } from '../../../server/registry/builtin-datastores.js';
import { requireDatastorePrograms } from '../../reliability/support/datastore-cases.js';
import { troveSqlWorkflow } from './sql-workflow.js';

requireDatastorePrograms();
const { versions: _versions, ...family } = mysqlDatastore('10.11', { path: '/placeholder', sha256: '0'.repeat(64) }, 'mysql') as { versions: unknown };

troveSqlWorkflow({
  type: 'mysql',
  version: '10.11',
  manager: { entry: join(PACKAGE_ROOT, 'datastores', 'mysql', 'manager.ts') },
  datastore: { ...family, guest: {}, versions: [{ name: '10.11', manager: 'mysql' }] },
  setting: { name: 'max_connections', first: 50, second: 60, outOfRange: 0 },
  sizing: { sql: 'SELECT @@innodb_buffer_pool_size', expected: String(256 * 1024 * 1024) },
  showSetting: 'SELECT @@max_connections',
  write: "CREATE TABLE cargo (item varchar(40)); INSERT INTO cargo VALUES ('anchor')",
  read: 'SELECT item FROM cargo',
  async query(port, user, password, database, sql) {
    const connection = await mysql.createConnection({ host: '127.0.0.1', port, user, password, database, connectTimeout: 5000, multipleStatements: true, rowsAsArray: true });
    try {
      const [result] = await connection.query(sql);
      const sets = Array.isArray(result) && Array.isArray(result[0]) ? [result] : (result as unknown[]);
      const rows = [...sets].reverse().find((set) => Array.isArray(set)) as unknown[][] | undefined;
      return String(rows?.[0]?.[0] ?? '');
    } finally {
      await connection.end().catch(() => undefined);
    }
  },
});
