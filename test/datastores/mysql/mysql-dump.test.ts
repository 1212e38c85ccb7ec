import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesWorkingIn } from '../../../server/provisioning/local-machine.js';
import { startTestServer, type StartedTestServer } from '../../support/server.js';
import { apiFor, connect, familyDatastore, MYSQL_MANAGER, refusal, requireMariadb, waitActive, waitBackup } from './support.js';

// The same manager for the mariadb and percona datastores; mariadb's instances
// back up with the logical dump (backup_strategy MysqlDump), as every instance
// does where mariabackup is not granted.
const TOKEN = 'mysql-dump-token-0123456789abcdef';
let setup: StartedTestServer;
const api = apiFor(() => setup.server.url, TOKEN);
const instances: string[] = [];

beforeAll(async () => {
  requireMariadb({ mariabackup: false });
  setup = await startTestServer({
    name: 'mysql-dump',
    projects: { acme: TOKEN },
    managers: { mysql: MYSQL_MANAGER },
    timeouts: { report_interval: 0.5, heartbeat_expiry: 15, slow_call: 300 },
    datastores: [familyDatastore('mariadb', { backup_strategy: 'MysqlDump' }), familyDatastore('percona')],
  });
}, 300_000);
afterAll(() => setup?.cleanup(), 120_000);

async function create(name: string, body: Record<string, unknown>): Promise<{ id: string; port: number }> {
  const created = await api('POST', '/v1.0/acme/instances', { instance: { name, ...body } });
  expect(created.status).toBe(200);
  instances.push(created.body.instance.id);
  const { port } = await waitActive(api, 'acme', created.body.instance.id);
  return { id: created.body.instance.id, port };
}

describe('one MySQL manager for mariadb and percona, with logical backups', () => {
  it('serves mariadb and percona from the same manager', async () => {
    const listed = (await api('GET', '/v1.0/acme/datastores')).body.datastores.map((d: { name: string }) => d.name);
    expect(listed).toEqual(expect.arrayContaining(['mariadb', 'percona']));
    const sha = async (datastore: string) => (await api('GET', `/v1.0/acme/datastores/${datastore}/versions/10.11`)).body.version.manager_sha256;
    expect(await sha('percona')).toBe(await sha('mariadb'));
    const { port } = await create('pc1', { datastore: { type: 'percona' }, users: [{ name: 'pat', password: 'pat-secret-123' }] });
    expect(await refusal(port, 'pat', 'pat-secret-123')).toBe('');
  }, 300_000);

  it('dumps a mariadb instance with mariadb-dump and restores the dump into a new instance: data, users, grants and root', async () => {
    const source = await create('mdb1', {
      datastore: { type: 'mariadb' },
      databases: [{ name: 'inventory' }, { name: 'empty_one' }],
      users: [{ name: 'carol', password: 'carol-secret-1', databases: [{ name: 'inventory' }] }],
    });
    const carol = await connect(source.port, 'carol', 'carol-secret-1', 'inventory');
    await carol.query('CREATE TABLE parts (id int PRIMARY KEY, label varchar(40) CHARACTER SET utf8mb4, photo blob)');
    await carol.query("INSERT INTO parts VALUES (1, 'écrou ⚙', x'00ff10'), (2, 'it''s a \"bolt\"', NULL)");
    // restored through the connection, statement by statement (no mariadb client): DELIMITER blocks,
    // views and several MiB of binary rows, so the dump is read in more than one chunk
    await carol.query("CREATE TABLE log (part int, what varchar(20))");
    await carol.query("CREATE TRIGGER parts_ai AFTER INSERT ON parts FOR EACH ROW BEGIN INSERT INTO log VALUES (NEW.id, 'added;'); END");
    await carol.query('CREATE PROCEDURE count_parts(OUT n int) BEGIN SELECT COUNT(*) INTO n FROM parts; END');
    await carol.query("CREATE VIEW labels AS SELECT label FROM parts WHERE label <> ';'");
    await carol.query('INSERT INTO parts SELECT seq + 10, CONCAT(seq, \' ⚙\'), RANDOM_BYTES(1000) FROM seq_1_to_3000');
    const [[sums]] = (await carol.query('SELECT COUNT(*) AS n, SUM(CRC32(photo)) AS crc FROM parts')) as unknown as [[{ n: number; crc: string }]];
    await carol.end();
    const root = await api('POST', `/v1.0/acme/instances/${source.id}/root`);
    expect(root.body.user.name).toBe('root');

    const created = await api('POST', '/v1.0/acme/backups', { backup: { name: 'dump', instance: source.id } });
    expect(created.status).toBe(202);
    const backup = await waitBackup(api, 'acme', created.body.backup.id);
    expect(backup).toMatchObject({ status: 'COMPLETED', format: 'mysqldump-sql' });

    const copy = await create('mdb2', { datastore: { type: 'mariadb' }, restorePoint: { backupRef: created.body.backup.id } });
    const restored = await connect(copy.port, 'carol', 'carol-secret-1', 'inventory');
    const [rows] = await restored.query('SELECT id, label, HEX(photo) AS photo FROM parts WHERE id < 10 ORDER BY id');
    expect(rows).toEqual([
      { id: 1, label: 'écrou ⚙', photo: '00FF10' },
      { id: 2, label: 'it\'s a "bolt"', photo: null },
    ]);
    expect((await restored.query('SELECT COUNT(*) AS n, SUM(CRC32(photo)) AS crc FROM parts'))[0]).toEqual([sums]);
    await restored.query("INSERT INTO parts (id, label) VALUES (9999, 'after')");
    expect((await restored.query('SELECT what FROM log WHERE part = 9999'))[0]).toEqual([{ what: 'added;' }]);
    await restored.query('CALL count_parts(@n)');
    expect((await restored.query('SELECT @n AS n, (SELECT COUNT(*) FROM labels) AS labels'))[0]).toEqual([{ n: 3003, labels: 3003 }]);
    await restored.end();
    expect((await api('GET', `/v1.0/acme/instances/${copy.id}/databases`)).body.databases.map((d: { name: string }) => d.name)).toEqual(['empty_one', 'inventory']);
    expect((await api('GET', `/v1.0/acme/instances/${copy.id}/users/carol/databases`)).body.databases).toEqual([expect.objectContaining({ name: 'inventory' })]);
    // root came along, with its password; the copy's os_admin keeps the copy's own password
    expect((await api('GET', `/v1.0/acme/instances/${copy.id}/root`)).body).toEqual({ rootEnabled: true });
    expect(await refusal(copy.port, 'root', root.body.user.password)).toBe('');
    expect((await api('POST', `/v1.0/acme/instances/${copy.id}/databases`, { databases: [{ name: 'after_restore' }] })).status).toBe(202);
  }, 400_000);

  it('deletes the instances with their servers and files', async () => {
    for (const id of instances) {
      const dir = join(setup.dir, 'instances', id);
      expect((await api('DELETE', `/v1.0/acme/instances/${id}`)).status).toBe(202);
      expect(processesWorkingIn(dir)).toEqual([]);
      expect(existsSync(dir)).toBe(false);
    }
  }, 60_000);
});
