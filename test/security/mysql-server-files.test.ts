import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnections } from '../../host/capabilities/connections.js';
import { connectionGrantSchema, type ConnectionGrant } from '../../host/config/guest-config.js';
import type { CapabilityError } from '../../host/generated/interfaces/berth-datastore-types.js';
import { familyDatastore, MYSQL_MANAGER, requireMariadb } from '../datastores/mysql/support.js';
import { PrivateMariadb } from '../support/private-mariadb.js';
import { apiRequest, startTestServer, waitFor, type StartedTestServer } from '../support/server.js';
import { capabilityError } from '../support/connection-calls.js';

// Issue 13, finding 4: through the connection the MySQL manager is granted, an account with
// FILE on a server without secure_file_priv writes and reads any file the server can
// (SELECT ... INTO OUTFILE, LOAD_FILE, LOAD DATA INFILE). A real MariaDB instance made by the
// real manager through the REST API; the attacks go through the grant in its guest config.

const TOKEN = 'mysql-files-token-0123456789';
type Connections = ReturnType<typeof createConnections>;

describe("the MySQL manager's granted connection (MariaDB)", () => {
  let setup: StartedTestServer;
  let connections: Connections;
  let grant: ConnectionGrant;
  const marker = `/tmp/berth-mysql-files-${process.pid}`;
  const sql = (statement: string) => connections.sqlQuery('admin', statement, []);

  beforeAll(async () => {
    requireMariadb({ mariabackup: false });
    setup = await startTestServer({
      name: 'mysql-files',
      projects: { acme: TOKEN },
      managers: { mysql: MYSQL_MANAGER },
      timeouts: { report_interval: 0.5, heartbeat_expiry: 15, slow_call: 300 },
      datastores: [familyDatastore('mysql')],
    });
    const api = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, TOKEN, method, path, body);
    const created = await api('POST', '/v1.0/acme/instances', { instance: { name: 'files', datastore: { type: 'mysql' } } });
    const id = created.body.instance.id as string;
    const shown = await waitFor(() => api('GET', `/v1.0/acme/instances/${id}`), (r) => ['ACTIVE', 'ERROR'].includes(r.body.instance.status), 'ACTIVE', 300_000);
    expect(shown.body.instance, JSON.stringify(shown.body.instance.fault)).toMatchObject({ status: 'ACTIVE' });
    const config = parse(readFileSync(join(setup.dir, 'instances', id, 'guest.toml'), 'utf8')) as { grants: { connections: { admin: unknown } } };
    grant = connectionGrantSchema.parse(config.grants.connections.admin);
    connections = createConnections({ admin: grant }, { timeoutMs: 15_000 });
  }, 400_000);
  afterAll(async () => {
    connections?.close();
    await setup?.cleanup();
  }, 120_000);

  it('logs in as os_admin, which holds every privilege but FILE, on a server confined to an empty directory', () => {
    const [global] = sql('SHOW GRANTS').rows.map((row) => (row[0] as { val: string }).val).filter((line) => / ON \*\.\* TO /.test(line));
    expect(global).toMatch(/^GRANT .*CREATE USER.* ON \*\.\* TO `os_admin`@`127\.0\.0\.1`/);
    expect(global).not.toMatch(/\bFILE\b|ALL PRIVILEGES/);
    expect(grant.secure_file_priv).toMatch(/\/secure-file-priv$/);
    expect(sql('SELECT @@secure_file_priv').rows).toEqual([[{ tag: 'text', val: `${grant.secure_file_priv}/` }]]);
  });

  it('refuses SELECT ... INTO OUTFILE and INTO DUMPFILE, and no file is written', () => {
    expect(capabilityError(() => sql(`SELECT 'written by the manager' INTO OUTFILE '${marker}-outfile'`))).toMatchObject({ tag: 'database' });
    expect(capabilityError(() => sql(`SELECT 'written by the manager' INTO DUMPFILE '${marker}-dumpfile'`))).toMatchObject({ tag: 'database' });
    expect(existsSync(`${marker}-outfile`)).toBe(false);
    expect(existsSync(`${marker}-dumpfile`)).toBe(false);
  });

  it('reads no server file: LOAD_FILE answers NULL, LOAD DATA INFILE is refused', () => {
    expect(sql("SELECT LOAD_FILE('/etc/passwd')").rows).toEqual([[{ tag: 'null' }]]);
    sql('CREATE DATABASE IF NOT EXISTS berth_attack');
    sql('CREATE TABLE IF NOT EXISTS berth_attack.stolen (line TEXT)');
    expect(capabilityError(() => sql("LOAD DATA INFILE '/etc/passwd' INTO TABLE berth_attack.stolen"))).toMatchObject({ tag: 'database' });
    expect(sql('SELECT COUNT(*) FROM berth_attack.stolen').rows).toEqual([[{ tag: 'integer', val: 0n }]]);
  });

  it('cannot grant itself FILE; a role given FILE through the privilege tables still reaches no file', () => {
    expect(capabilityError(() => sql("GRANT FILE ON *.* TO os_admin@'127.0.0.1'"))).toMatchObject({ tag: 'database' });
    // os_admin may write the privilege tables (it administers accounts): FILE for a role, active in this session
    sql('CREATE ROLE IF NOT EXISTS berth_evil');
    sql("UPDATE mysql.global_priv SET Priv = JSON_SET(Priv, '$.access', 512) WHERE User = 'berth_evil' AND Host = ''");
    sql('FLUSH PRIVILEGES');
    sql("GRANT berth_evil TO os_admin@'127.0.0.1'");
    sql('SET ROLE berth_evil');
    expect(sql('SHOW GRANTS').rows.map((row) => (row[0] as { val: string }).val)).toContain('GRANT FILE ON *.* TO `berth_evil`');
    // secure_file_priv, read only at the server's start, holds whatever the session holds
    expect(capabilityError(() => sql(`SELECT 'x' INTO OUTFILE '${marker}-role'`))).toMatchObject({ tag: 'database', val: { code: 'HY000' } });
    expect(existsSync(`${marker}-role`)).toBe(false);
    expect(sql("SELECT LOAD_FILE('/etc/passwd')").rows).toEqual([[{ tag: 'null' }]]);
    sql('SET ROLE NONE');
    sql('DROP ROLE berth_evil');
  });
});

describe('the host refuses a MySQL account that reaches the server files', () => {
  let confined: PrivateMariadb;
  let open: PrivateMariadb;

  beforeAll(async () => {
    confined = await PrivateMariadb.create();
    open = await PrivateMariadb.create({ confined: false });
    for (const server of [confined, open]) {
      server.sql("CREATE USER plain@'127.0.0.1'; GRANT SELECT ON mysql.* TO plain@'127.0.0.1'; CREATE USER filer@'127.0.0.1'; GRANT FILE ON *.* TO filer@'127.0.0.1'");
      server.sql("CREATE ROLE file_role; GRANT FILE ON *.* TO file_role; CREATE USER by_role@'127.0.0.1'; GRANT file_role TO by_role@'127.0.0.1'; SET DEFAULT ROLE file_role FOR by_role@'127.0.0.1'");
    }
  }, 120_000);
  afterAll(() => {
    confined?.destroy();
    open?.destroy();
  });

  const firstQuery = (grant: ConnectionGrant) => {
    const connections = createConnections({ db: grant }, { timeoutMs: 10_000 });
    try {
      return capabilityError(() => connections.sqlQuery('db', 'SELECT 1', []));
    } finally {
      connections.close();
    }
  };
  const tcp = (server: PrivateMariadb, user: string, extra: Partial<ConnectionGrant> = {}): ConnectionGrant => ({ kind: 'mysql', url: `mysql://${user}@127.0.0.1:${server.port}`, ...extra });

  it('denies an account with FILE, directly or through its default role, before its first statement', () => {
    expect(firstQuery({ kind: 'mysql', socket: confined.socket, user: 'root' })).toEqual({ tag: 'denied', val: expect.stringContaining('FILE') });
    expect(firstQuery(tcp(confined, 'filer'))).toEqual({ tag: 'denied', val: expect.stringContaining('FILE') });
    expect(firstQuery(tcp(confined, 'by_role'))).toEqual({ tag: 'denied', val: expect.stringContaining('FILE') });
  });

  it('denies a server started without secure_file_priv, or with another directory than the grant names', () => {
    expect(firstQuery(tcp(open, 'plain'))).toEqual({ tag: 'denied', val: expect.stringContaining('secure_file_priv') });
    expect(firstQuery(tcp(confined, 'plain', { secure_file_priv: '/var/lib/elsewhere' }))).toEqual({ tag: 'denied', val: expect.stringContaining('/var/lib/elsewhere') });
  });

  it('serves a plain account on a confined server, the directory as the grant names it', () => {
    const connections = createConnections({ db: tcp(confined, 'plain', { secure_file_priv: confined.files }) }, { timeoutMs: 10_000 });
    try {
      expect(connections.sqlQuery('db', 'SELECT 1', []).rows).toEqual([[{ tag: 'integer', val: 1n }]]);
    } finally {
      connections.close();
    }
  });
});
