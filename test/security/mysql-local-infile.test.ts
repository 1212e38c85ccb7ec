import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnections } from '../../host/capabilities/connections.js';
import { PrivateMariadb } from '../support/private-mariadb.js';

// LOAD DATA LOCAL INFILE asks the *client* to read a file and send it: through a granted MySQL
// connection the client is the guest host, so a manager could name any file the host can read,
// outside every grant, and read it back from a table. The host never offers local files.
// A private MariaDB and an account without FILE (the host refuses one with it).

let dir: string;
let secretFile: string;
let maria: PrivateMariadb;
let connections: ReturnType<typeof createConnections>;

beforeAll(async () => {
  maria = await PrivateMariadb.create();
  maria.sql("CREATE DATABASE test; CREATE USER berth_manager@'127.0.0.1'; GRANT ALL ON test.* TO berth_manager@'127.0.0.1'");
  connections = createConnections({ maria: { kind: 'mysql', url: `mysql://berth_manager@127.0.0.1:${maria.port}/test` } }, { timeoutMs: 10_000 });
  dir = await mkdtemp(join(tmpdir(), 'berth-infile-'));
  secretFile = join(dir, 'secret.txt');
  await writeFile(secretFile, 'host-secret-never-read\n');
});
afterAll(async () => {
  connections?.close();
  maria?.destroy();
  await rm(dir, { recursive: true, force: true });
});

describe('a granted MySQL connection and LOAD DATA LOCAL INFILE', () => {
  it('never reads a host file for the server', () => {
    const sql = (statement: string) => connections.sqlQuery('maria', statement, []);
    sql('CREATE TEMPORARY TABLE berth_infile (line TEXT)');
    let refused: unknown;
    try {
      sql(`LOAD DATA LOCAL INFILE '${secretFile}' INTO TABLE berth_infile`);
    } catch (error) {
      refused = error;
    }
    expect(refused, 'LOAD DATA LOCAL INFILE succeeded').toBeDefined();
    expect(sql('SELECT COUNT(*) AS n FROM berth_infile').rows).toEqual([[{ tag: 'integer', val: 0n }]]);
  });
});
