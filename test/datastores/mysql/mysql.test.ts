import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesWorkingIn } from '../../../server/provisioning/local-machine.js';
import { startTestServer, waitFor, type StartedTestServer } from '../../support/server.js';
import { apiFor, connect, familyDatastore, mariadbdPid, MYSQL_MANAGER, refusal, requireMariadb, waitActive, waitBackup } from './support.js';

// Real MariaDB servers (Debian's mariadb-server and mariadb-backup), one per
// instance on a free port, started by the manager and driven through the REST API.
const TOKEN = 'mysql-token-0123456789abcdef';
let setup: StartedTestServer;
const api = apiFor(() => setup.server.url, TOKEN);

beforeAll(async () => {
  requireMariadb({ mariabackup: true });
  setup = await startTestServer({
    name: 'mysql',
    projects: { acme: TOKEN },
    managers: { mysql: MYSQL_MANAGER },
    timeouts: { report_interval: 0.5, heartbeat_expiry: 15, slow_call: 300 },
    datastores: [familyDatastore('mysql')],
  });
}, 300_000);
afterAll(() => setup?.cleanup(), 120_000);

/** An operation the REST API has no route for, straight to the guest. */
async function guestCall(instanceId: string, operation: Parameters<StartedTestServer['server']['hub']['call']>[1], args: unknown[]): Promise<{ ok?: unknown; err?: unknown }> {
  return setup.server.hub.call(instanceId, operation, args, 120_000);
}

describe('the MySQL manager (MariaDB binaries) through the REST API', () => {
  let id: string;
  let port: number;

  it('creates an instance with a database and a user: BUILD, then ACTIVE, with a port to connect to', async () => {
    const created = await api('POST', '/v1.0/acme/instances', {
      instance: {
        name: 'my1',
        datastore: { type: 'mysql' },
        databases: [{ name: 'shop', character_set: 'utf8mb4', collate: 'utf8mb4_unicode_ci' }],
        users: [{ name: 'alice', password: 'alice-secret-1', databases: [{ name: 'shop' }] }],
      },
    });
    expect(created.status).toBe(200);
    expect(created.body.instance.status).toBe('BUILD');
    id = created.body.instance.id;
    port = (await waitActive(api, 'acme', id)).port;
    expect(port).toBeGreaterThan(0);
    // the file that gave os_admin its password at the first start is gone once the server answered
    const volume = join(setup.dir, 'instances', id, 'volume');
    expect(existsSync(join(volume, 'run', 'admin-init.sql'))).toBe(false);
    expect(readFileSync(join(volume, 'my.cnf'), 'utf8')).toContain(`port = ${port}`);
  }, 300_000);

  it('lets the user read and write its database with an ordinary client, and nobody else in', async () => {
    const alice = await connect(port, 'alice', 'alice-secret-1', 'shop');
    await alice.query('CREATE TABLE orders (id int PRIMARY KEY, item varchar(40))');
    await alice.query("INSERT INTO orders VALUES (1, 'anchor'), (2, 'rope')");
    expect((await alice.query('SELECT item FROM orders ORDER BY id'))[0]).toEqual([{ item: 'anchor' }, { item: 'rope' }]);
    expect((await alice.query('SELECT @@character_set_database AS cs, @@collation_database AS co'))[0]).toEqual([{ cs: 'utf8mb4', co: 'utf8mb4_unicode_ci' }]);
    await alice.end();
    expect(await refusal(port, 'alice', 'wrong-password', 'shop')).toBe('ER_ACCESS_DENIED_ERROR');
    // the manager's own account and root@localhost are not reachable from clients
    expect(['ER_ACCESS_DENIED_ERROR', 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR']).toContain(await refusal(port, 'root', ''));
  });

  it('creates and lists databases and users, hiding the system schemas and the manager own', async () => {
    expect((await api('POST', `/v1.0/acme/instances/${id}/databases`, { databases: [{ name: 'audit' }] })).status).toBe(202);
    const listed = (await api('GET', `/v1.0/acme/instances/${id}/databases`)).body.databases;
    expect(listed).toEqual([expect.objectContaining({ name: 'audit' }), { name: 'shop', character_set: 'utf8mb4', collate: 'utf8mb4_unicode_ci' }]);
    expect((await api('GET', `/v1.0/acme/instances/${id}/databases?limit=1`)).body).toMatchObject({ databases: [{ name: 'audit' }], next: 'audit' });
    expect((await api('POST', `/v1.0/acme/instances/${id}/databases`, { databases: [{ name: 'audit' }] })).body.error.code).toBe('BERTH_ERR_MANAGER_ALREADY_EXISTS');
    expect((await api('POST', `/v1.0/acme/instances/${id}/databases`, { databases: [{ name: 'bad', character_set: 'klingon' }] })).body.error).toMatchObject({
      code: 'BERTH_ERR_MANAGER_INVALID_ARGUMENT',
      message: expect.stringContaining('character_set'),
    });
    expect((await api('DELETE', `/v1.0/acme/instances/${id}/databases/mysql`)).body.error.code).toBe('BERTH_ERR_MANAGER_INVALID_ARGUMENT');

    expect((await api('POST', `/v1.0/acme/instances/${id}/users`, { users: [{ name: 'bob', password: 'bob-secret-12' }] })).status).toBe(202);
    expect((await api('POST', `/v1.0/acme/instances/${id}/users`, { users: [{ name: 'bob', host: '10.0.0.%', password: 'bob-secret-13' }] })).status).toBe(202);
    expect((await api('GET', `/v1.0/acme/instances/${id}/users`)).body.users).toEqual([
      { name: 'alice', host: '%', databases: [{ name: 'shop' }] },
      { name: 'bob', host: '%', databases: [] },
      { name: 'bob', host: '10.0.0.%', databases: [] },
    ]);
    expect((await api('DELETE', `/v1.0/acme/instances/${id}/users/bob?host=10.0.0.%25`)).status).toBe(202);
    expect((await api('GET', `/v1.0/acme/instances/${id}/users/bob?host=10.0.0.%25`)).body.error.code).toBe('BERTH_ERR_MANAGER_NOT_FOUND');
    expect((await api('GET', `/v1.0/acme/instances/${id}/users/os_admin?host=127.0.0.1`)).body.error.code).toBe('BERTH_ERR_MANAGER_INVALID_ARGUMENT');
  });

  it('grants and revokes access, and the server sees it', async () => {
    expect(await refusal(port, 'bob', 'bob-secret-12', 'audit')).toBe('ER_DBACCESS_DENIED_ERROR');
    expect((await api('PUT', `/v1.0/acme/instances/${id}/users/bob/databases`, { databases: [{ name: 'audit' }] })).status).toBe(202);
    expect(await refusal(port, 'bob', 'bob-secret-12', 'audit')).toBe('');
    expect((await api('GET', `/v1.0/acme/instances/${id}/users/bob/databases`)).body.databases).toEqual([expect.objectContaining({ name: 'audit' })]);
    expect((await api('DELETE', `/v1.0/acme/instances/${id}/users/bob/databases/audit`)).status).toBe(202);
    expect(await refusal(port, 'bob', 'bob-secret-12', 'audit')).toBe('ER_DBACCESS_DENIED_ERROR');
    // a new password works, the old one no longer does
    expect((await api('PUT', `/v1.0/acme/instances/${id}/users`, { users: [{ name: 'bob', password: 'bob-secret-99' }] })).status).toBe(202);
    expect(await refusal(port, 'bob', 'bob-secret-12')).toBe('ER_ACCESS_DENIED_ERROR');
    expect(await refusal(port, 'bob', 'bob-secret-99')).toBe('');
  });

  it("enables root (root@'%' with the server's password), which can then log in as a superuser, and disables it", async () => {
    expect((await api('GET', `/v1.0/acme/instances/${id}/root`)).body).toEqual({ rootEnabled: false });
    const enabled = await api('POST', `/v1.0/acme/instances/${id}/root`);
    expect(enabled.body.user.name).toBe('root');
    const root = await connect(port, 'root', enabled.body.user.password);
    expect((await root.query('SELECT CURRENT_USER() AS me'))[0]).toEqual([{ me: 'root@%' }]);
    const [grants] = (await root.query('SHOW GRANTS')) as unknown as [Array<Record<string, string>>];
    // every privilege os_admin holds, which is all but FILE (issue 13, finding 4)
    const global = Object.values(grants[0]!)[0]!;
    expect(global).toMatch(/^GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, SHUTDOWN, .*CREATE USER.* ON \*\.\* TO `root`@`%`.* WITH GRANT OPTION$/);
    expect(global).not.toMatch(/\bFILE\b|ALL PRIVILEGES/);
    await root.query('CREATE DATABASE made_by_root');
    await root.query('DROP DATABASE made_by_root');
    await root.end();
    expect((await api('GET', `/v1.0/acme/instances/${id}/root`)).body).toEqual({ rootEnabled: true });
    expect((await api('DELETE', `/v1.0/acme/instances/${id}/root`)).status).toBe(202);
    // what is left is root@localhost, for the socket only: refused whichever way MariaDB words it
    expect(['ER_ACCESS_DENIED_ERROR', 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR']).toContain(await refusal(port, 'root', enabled.body.user.password));
    expect((await api('GET', `/v1.0/acme/instances/${id}/root`)).body).toEqual({ rootEnabled: false });
  });

  it('keeps configuration overrides in its conf.d file, applies dynamic ones live and names an unknown key', async () => {
    const set = (key: string, value: unknown) => ({ key, value });
    expect(await guestCall(id, 'apply-overrides', [[set('max_connections', { tag: 'integer', val: 123 })]])).toEqual({});
    const alice = await connect(port, 'alice', 'alice-secret-1', 'shop');
    expect((await alice.query('SELECT @@GLOBAL.max_connections AS n'))[0]).toEqual([{ n: 123 }]);
    await alice.end();
    const overrides = readFileSync(join(setup.dir, 'instances', id, 'volume', 'conf.d', 'berth-overrides.cnf'), 'utf8');
    expect(overrides).toContain('max_connections = 123');
    expect(await guestCall(id, 'update-overrides', [[set('no_such_setting', { tag: 'integer', val: 1 })], false])).toEqual({
      err: { tag: 'invalid-argument', val: { field: 'no_such_setting', message: expect.stringContaining('not a MariaDB server option') } },
    });
    expect(await guestCall(id, 'update-overrides', [[set('datadir', { tag: 'text', val: '/elsewhere' })], false])).toMatchObject({ err: { tag: 'invalid-argument', val: { field: 'datadir' } } });
    expect(await guestCall(id, 'update-overrides', [[set('max_connections', { tag: 'integer', val: 0 })], true])).toEqual({});
    expect(readFileSync(join(setup.dir, 'instances', id, 'volume', 'conf.d', 'berth-overrides.cnf'), 'utf8')).not.toContain('max_connections');
    // a setting only a restart applies: persisted, and the instance says RESTART_REQUIRED until the restart below
    expect(await guestCall(id, 'apply-overrides', [[set('back_log', { tag: 'integer', val: 77 })]])).toEqual({});
    expect(await guestCall(id, 'reset-configuration', ['[mysqld]\nlong_query_time = 7\n'])).toEqual({});
    expect(await guestCall(id, 'reset-configuration', ['[mysqld]\nlong_query_thyme = 7\n'])).toMatchObject({ err: { tag: 'invalid-argument', val: { field: 'long_query_thyme' } } });
    const pending = await waitFor(() => api('GET', `/v1.0/acme/instances/${id}`), (r) => r.body.instance.status !== 'ACTIVE', 'RESTART_REQUIRED', 30_000);
    expect(pending.body.instance).toMatchObject({ status: 'RESTART_REQUIRED', service_status: 'RESTART_REQUIRED' });
    // the error log is the guest's log; df reports the volume
    const logs = (await guestCall(id, 'guest-log-list', [])).ok as Array<{ name: string; size: bigint | number }>;
    expect(logs.map((log) => log.name)).toContain('error.log');
    const stats = (await guestCall(id, 'get-filesystem-stats', [''])).ok as { total: bigint | number; free: bigint | number };
    expect(Number(stats.total)).toBeGreaterThan(Number(stats.free));
  });

  it('restarts the datastore: a new mariadbd, ACTIVE again, the data kept', async () => {
    const before = mariadbdPid(setup.dir, id);
    expect(before).toBeDefined();
    // the probe, asked over and over while the restart runs, sees the server down on purpose, never crashed
    const seen = new Set<unknown>();
    let restarting = true;
    const watching = (async () => {
      while (restarting) seen.add((await guestCall(id, 'status', [])).ok);
    })();
    expect((await api('POST', `/v1.0/acme/instances/${id}/action`, { restart: {} })).status).toBe(202);
    restarting = false;
    await watching;
    expect(seen).toContain('shutdown');
    expect(seen).not.toContain('crashed');
    expect(mariadbdPid(setup.dir, id)).not.toBe(before);
    await waitFor(() => api('GET', `/v1.0/acme/instances/${id}`), (r) => r.body.instance.status === 'ACTIVE', 'ACTIVE after the restart', 60_000);
    const alice = await connect(port, 'alice', 'alice-secret-1', 'shop');
    expect((await alice.query('SELECT count(*) AS n FROM orders'))[0]).toEqual([{ n: 2 }]);
    // what waited for the restart is now in effect
    expect((await alice.query('SELECT @@GLOBAL.back_log AS b, @@GLOBAL.long_query_time AS q'))[0]).toEqual([{ b: 77, q: 7 }]);
    await alice.end();
  }, 180_000);

  it('reports a killed mariadbd through the heartbeat (ERROR, guest reports CRASHED) and recovers on restart', async () => {
    process.kill(mariadbdPid(setup.dir, id)!, 'SIGKILL');
    const crashed = await waitFor(() => api('GET', `/v1.0/acme/instances/${id}`), (r) => r.body.instance.status === 'ERROR', 'the crash to show', 60_000);
    expect(crashed.body.instance).toMatchObject({ service_status: 'CRASHED', fault: { message: expect.stringContaining('CRASHED') } });
    // the restart answers once mariadbd is back; ERROR turns ACTIVE with the next heartbeat
    expect((await api('POST', `/v1.0/acme/instances/${id}/action`, { restart: {} })).status).toBe(202);
    expect(await refusal(port, 'alice', 'alice-secret-1', 'shop')).toBe('');
    await waitFor(() => api('GET', `/v1.0/acme/instances/${id}`), (r) => r.body.instance.status === 'ACTIVE', 'ACTIVE after the crash', 60_000);
  }, 180_000);

  it('stops the datastore on purpose (SHUTDOWN, not a crash) and starts it again', async () => {
    expect((await api('POST', `/v1.0/acme/instances/${id}/action`, { stop: {} })).status).toBe(202);
    expect(mariadbdPid(setup.dir, id)).toBeUndefined();
    expect(await refusal(port, 'alice', 'alice-secret-1', 'shop')).toBe('ECONNREFUSED');
    const stopped = await waitFor(() => api('GET', `/v1.0/acme/instances/${id}`), (r) => r.body.instance.status !== 'ACTIVE', 'the stop to show', 60_000);
    expect(stopped.body.instance).toMatchObject({ status: 'SHUTDOWN', service_status: 'SHUTDOWN' });
    expect((await api('POST', `/v1.0/acme/instances/${id}/action`, { start: {} })).status).toBe(202);
    expect(await refusal(port, 'alice', 'alice-secret-1', 'shop')).toBe('');
    await waitFor(() => api('GET', `/v1.0/acme/instances/${id}`), (r) => r.body.instance.status === 'ACTIVE', 'ACTIVE after the start', 60_000);
  }, 180_000);

  // after the start above: the host running now spawned this mariadbd, so it is in its table
  it('keeps mariadbd running when its guest host stops on SIGTERM (the host ends what it spawned, but for the datastore)', async () => {
    const server = mariadbdPid(setup.dir, id)!;
    const host = setup.server.provisioner!.pidOf(id)!;
    process.kill(host, 'SIGTERM');
    await waitFor(async () => setup.server.provisioner!.pidOf(id), (pid) => pid !== undefined && pid !== host, 'a new guest host', 30_000);
    expect(mariadbdPid(setup.dir, id)).toBe(server);
    // the same process, not a pid file left behind: alive, and still answering
    expect(readFileSync(`/proc/${server}/cmdline`, 'utf8')).toContain('mariadbd');
    expect(await refusal(port, 'alice', 'alice-secret-1', 'shop')).toBe('');
    const listed = await waitFor(() => api('GET', `/v1.0/acme/instances/${id}/databases`), (r) => r.status === 200, 'the new host to answer', 60_000);
    expect(listed.body.databases.map((d: { name: string }) => d.name)).toEqual(['audit', 'shop']);
  }, 120_000);

  it('keeps mariadbd running when its guest host dies, and the restarted host takes over', async () => {
    const server = mariadbdPid(setup.dir, id)!;
    const host = setup.server.provisioner!.pidOf(id)!;
    process.kill(host, 'SIGKILL');
    await waitFor(async () => setup.server.provisioner!.pidOf(id), (pid) => pid !== undefined && pid !== host, 'a new guest host', 30_000);
    expect(mariadbdPid(setup.dir, id)).toBe(server);
    expect(await refusal(port, 'alice', 'alice-secret-1', 'shop')).toBe('');
    const listed = await waitFor(() => api('GET', `/v1.0/acme/instances/${id}/databases`), (r) => r.status === 200, 'the new host to answer', 60_000);
    expect(listed.body.databases.map((d: { name: string }) => d.name)).toEqual(['audit', 'shop']);
  }, 120_000);

  let restoredId: string;
  it('backs up with mariabackup, and a new instance created from the backup has the data and the users', async () => {
    const alice = await connect(port, 'alice', 'alice-secret-1', 'shop');
    await alice.query("INSERT INTO orders VALUES (3, 'after the crash')");
    await alice.end();
    const created = await api('POST', '/v1.0/acme/backups', { backup: { name: 'my-backup', instance: id } });
    expect(created.status).toBe(202);
    const backup = await waitBackup(api, 'acme', created.body.backup.id);
    expect(backup).toMatchObject({ status: 'COMPLETED', format: 'mariabackup-tar', checksum: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(backup.size_bytes).toBeGreaterThan(1_000_000);

    const restored = await api('POST', '/v1.0/acme/instances', { instance: { name: 'my2', datastore: { type: 'mysql' }, restorePoint: { backupRef: created.body.backup.id } } });
    expect(restored.status).toBe(200);
    restoredId = restored.body.instance.id;
    const instance = await waitActive(api, 'acme', restoredId);
    expect(instance.port).not.toBe(port);
    const copy = await connect(instance.port, 'alice', 'alice-secret-1', 'shop');
    expect((await copy.query('SELECT id, item FROM orders ORDER BY id'))[0]).toEqual([
      { id: 1, item: 'anchor' },
      { id: 2, item: 'rope' },
      { id: 3, item: 'after the crash' },
    ]);
    await copy.end();
    // administered with its own os_admin password, not the source's
    expect((await api('GET', `/v1.0/acme/instances/${restoredId}/databases`)).body.databases.map((d: { name: string }) => d.name)).toEqual(['audit', 'shop']);
  }, 400_000);

  it('deletes instances: their mariadbd processes and files are gone', async () => {
    for (const instance of [id, restoredId]) {
      const dir = join(setup.dir, 'instances', instance);
      expect(processesWorkingIn(dir).length).toBeGreaterThan(0);
      expect((await api('DELETE', `/v1.0/acme/instances/${instance}`)).status).toBe(202);
      expect(processesWorkingIn(dir)).toEqual([]);
      expect(existsSync(dir)).toBe(false);
    }
  }, 60_000);
});
