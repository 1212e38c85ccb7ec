import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, startTestServer, waitFor, type StartedTestServer } from '../../support/server.js';
import { TroveClients, troveTableHas } from '../../support/trove-clients.js';
import { expectVolumeResizeRefused } from './volume-resize.js';

/**
 * One SQL datastore (PostgreSQL, MariaDB) driven end to end by the unmodified
 * Trove clients against a real `berth server` with its real manager: what a
 * Trove user does in a day. Every step is checked in the datastore itself
 * with an ordinary driver, not only in the client's answer.
 */
export interface SqlDatastore {
  type: string;
  version: string;
  manager: { entry: string };
  datastore: unknown;
  /** A setting a configuration group can change, with two valid values, and how the datastore reports it. */
  setting: { name: string; first: number; second: number; outOfRange: number };
  /** Runs `sql` as `user` on `database` and answers the first column of the first row; rejects when the login is refused. */
  query(port: number, user: string, password: string, database: string, sql: string): Promise<string>;
  /** SQL that reads the buffer the manager sizes from the flavor's RAM, and what flavor "1" (512 MB) gives. */
  sizing: { sql: string; expected: string };
  /** The SQL that reads `setting.name`. */
  showSetting: string;
  /** SQL that writes one row durably, and reads it back. */
  write: string;
  read: string;
}

const TOKEN = 'acme-token-for-the-trove-workflow';
const ALICE = { name: 'alice', password: 'correct horse battery staple', project: 'acme' };

export function troveSqlWorkflow(ds: SqlDatastore): void {
  let setup: StartedTestServer;
  let clients: TroveClients;
  let home: string;
  const api = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, TOKEN, method, `/v1.0/acme${path}`, body);
  const state = { instance: '', port: 0, configuration: '', backup: '', restored: '', restoredPort: 0 };

  async function waitStatus(id: string, wanted: string, timeoutMs = 180_000): Promise<any> {
    const shown = await waitFor(
      () => clients.library('instances.get', [id]),
      (run) => run.ok && [wanted, 'ERROR'].includes(run.value.status),
      `instance ${id} to be ${wanted}`,
      timeoutMs,
      500,
    );
    const instance = shown.ok ? shown.value : undefined;
    expect(instance.status, JSON.stringify(instance)).toBe(wanted);
    return instance;
  }
  const portOf = async (id: string) => (await api('GET', `/instances/${id}`)).body.instance.port as number;

  beforeAll(async () => {
    setup = await startTestServer({
      name: `trove-${ds.type}`,
      projects: { acme: TOKEN },
      users: [{ name: ALICE.name, password: ALICE.password, projects: [ALICE.project] }],
      managers: { [ds.type]: ds.manager },
      timeouts: { report_interval: 1, heartbeat_expiry: 30, slow_call: 300 },
      datastores: [ds.datastore as never],
      stopGuestsOnClose: true,
    });
    home = await mkdtemp(join(tmpdir(), `berth-trove-${ds.type}-home-`));
    clients = new TroveClients(setup.server.url, ALICE, TOKEN, home);
  }, 300_000);
  afterAll(async () => {
    await setup?.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
  }, 120_000);

  describe(`${ds.type} through the Trove clients`, { timeout: 300_000 }, () => {
    it('creates a configuration group (openstack) and an instance with databases, users and that group (troveclient library) that becomes ACTIVE', async () => {
      const values = JSON.stringify({ [ds.setting.name]: ds.setting.first });
      const group = await clients.openstackJson(['database', 'configuration', 'create', 'tuned', values, '--datastore', ds.type, '--datastore-version', ds.version]);
      expect(group).toMatchObject({ name: 'tuned', datastore_name: ds.type });
      state.configuration = group.id;

      const created = await clients.libraryOk('instances.create', ['shop', '1'], {
        volume: { size: 1 },
        databases: [{ name: 'shop' }],
        users: [{ name: 'bob', password: 'bob-secret-1', databases: [{ name: 'shop' }] }],
        datastore: ds.type,
        datastore_version: ds.version,
        configuration: state.configuration,
      });
      expect(created.status).toBe('BUILD');
      state.instance = created.id;
      const active = await waitStatus(state.instance, 'ACTIVE');
      expect(active.datastore).toMatchObject({ type: ds.type, version: ds.version });
      state.port = await portOf(state.instance);
      expect(await ds.query(state.port, 'bob', 'bob-secret-1', 'shop', ds.showSetting)).toBe(String(ds.setting.first));
      expect(await ds.query(state.port, 'bob', 'bob-secret-1', 'shop', ds.sizing.sql)).toBe(ds.sizing.expected);
      expect(active.flavor?.id).toBe('1');
      expect(active.volume).toMatchObject({ size: 1, used: expect.any(Number) });
      await ds.query(state.port, 'bob', 'bob-secret-1', 'shop', ds.write);
    });

    it('shows and lists the instance in all three clients (openstack and the library by token)', async () => {
      const listed = await clients.openstackJson<Array<{ ID: string; Name: string; Status: string }>>(['database', 'instance', 'list'], 'token');
      expect(listed.map((row) => [row.ID, row.Name, row.Status])).toEqual([[state.instance, 'shop', 'ACTIVE']]);
      expect(troveTableHas(await clients.troveOk(['list']), state.instance)).toBe(true);
      const shown = await clients.libraryOk('instances.get', [state.instance], {}, 'token');
      expect(shown).toMatchObject({ id: state.instance, name: 'shop', status: 'ACTIVE', datastore: { type: ds.type, version: ds.version } });
      expect(shown.configuration?.id).toBe(state.configuration);
    });

    it('creates, lists and deletes databases', async () => {
      await clients.openstackOk(['database', 'db', 'create', state.instance, 'orders']);
      const names = async () => (await clients.openstackJson<Array<{ Name: string }>>(['database', 'db', 'list', state.instance])).map((row) => row.Name);
      expect(await names()).toEqual(expect.arrayContaining(['shop', 'orders']));
      expect(troveTableHas(await clients.troveOk(['database-list', state.instance]), 'orders')).toBe(true);
      await clients.openstackOk(['database', 'db', 'delete', state.instance, 'orders']);
      expect(await names()).not.toContain('orders');
    });

    it('creates a user, shows it, grants and revokes access, changes its password and name, and deletes it', async () => {
      await clients.openstackOk(['database', 'db', 'create', state.instance, 'ledger']);
      await clients.openstackOk(['database', 'user', 'create', state.instance, 'carol', 'carol-secret-1', '--databases', 'ledger']);
      const users = await clients.openstackJson<Array<{ Name: string }>>(['database', 'user', 'list', state.instance]);
      expect(users.map((row) => row.Name)).toEqual(expect.arrayContaining(['bob', 'carol']));
      expect(troveTableHas(await clients.troveOk(['user-list', state.instance]), 'carol')).toBe(true);
      const carol = await clients.openstackJson(['database', 'user', 'show', state.instance, 'carol']);
      expect(carol.name).toBe('carol');

      await clients.openstackOk(['database', 'user', 'grant', 'access', state.instance, 'carol', 'shop']);
      const access = async () => (await clients.openstackJson<Array<{ Name: string }>>(['database', 'user', 'show', 'access', state.instance, 'carol'])).map((row) => row.Name);
      expect(await access()).toEqual(expect.arrayContaining(['ledger', 'shop']));
      // access is to the database (Trove's grant), not to bob's tables in it
      expect(await ds.query(state.port, 'carol', 'carol-secret-1', 'shop', 'SELECT 1')).toBe('1');
      await clients.openstackOk(['database', 'user', 'revoke', 'access', state.instance, 'carol', 'shop']);
      expect(await access()).not.toContain('shop');
      await expect(ds.query(state.port, 'carol', 'carol-secret-1', 'shop', 'SELECT 1')).rejects.toThrow();

      await clients.openstackOk(['database', 'user', 'update', 'attributes', state.instance, 'carol', '--new_password', 'carol-secret-2']);
      await expect(ds.query(state.port, 'carol', 'carol-secret-1', 'ledger', 'SELECT 1')).rejects.toThrow();
      expect(await ds.query(state.port, 'carol', 'carol-secret-2', 'ledger', 'SELECT 1')).toBe('1');
      await clients.openstackOk(['database', 'user', 'update', 'attributes', state.instance, 'carol', '--new_name', 'dave']);
      expect(await ds.query(state.port, 'dave', 'carol-secret-2', 'ledger', 'SELECT 1')).toBe('1');

      await clients.openstackOk(['database', 'user', 'delete', state.instance, 'dave']);
      const after = await clients.openstackJson<Array<{ Name: string }>>(['database', 'user', 'list', state.instance]);
      expect(after.map((row) => row.Name)).not.toContain('dave');
      await expect(ds.query(state.port, 'dave', 'carol-secret-2', 'ledger', 'SELECT 1')).rejects.toThrow();
    });

    it('enables root, shows it enabled (openstack, trove, library), and disables it', async () => {
      const before = await clients.openstackJson(['database', 'root', 'show', state.instance], 'token');
      expect(before.is_root_enabled).toBe(false);
      const enabled = await clients.openstackJson(['database', 'root', 'enable', state.instance]);
      expect(enabled.name).toEqual(expect.any(String));
      expect(enabled.password).toEqual(expect.any(String));
      expect(await ds.query(state.port, enabled.name, enabled.password, 'shop', 'SELECT 1')).toBe('1');
      expect((await clients.openstackJson(['database', 'root', 'show', state.instance])).is_root_enabled).toBe(true);
      expect(await clients.troveOk(['root-show', state.instance])).toMatch(/True/);
      expect(await clients.libraryOk('root.is_root_enabled', [state.instance])).toMatchObject({ rootEnabled: true });
      await clients.openstackOk(['database', 'root', 'disable', state.instance]);
      await expect(ds.query(state.port, enabled.name, enabled.password, 'shop', 'SELECT 1')).rejects.toThrow();
    });

    it('detaches, changes and attaches the configuration group, and the datastore follows', async () => {
      await clients.openstackOk(['database', 'configuration', 'detach', state.instance]);
      expect((await clients.libraryOk('instances.get', [state.instance])).configuration).toBeUndefined();
      await clients.openstackOk(['database', 'configuration', 'parameter', 'set', state.configuration, JSON.stringify({ [ds.setting.name]: ds.setting.second })]);
      const group = await clients.openstackJson(['database', 'configuration', 'show', state.configuration]);
      expect(JSON.parse(group.values)).toEqual({ [ds.setting.name]: ds.setting.second });
      await clients.openstackOk(['database', 'configuration', 'attach', state.instance, state.configuration]);
      const attached = await clients.libraryOk('instances.get', [state.instance]);
      expect(attached.configuration?.id).toBe(state.configuration);
    });

    it("lists the datastore's parameters, shows one, refuses an out-of-range value naming the key, and shows the instance's configuration", async () => {
      const listed = await clients.openstackJson<Array<{ Name: string; Type: string }>>(['database', 'configuration', 'parameter', 'list', ds.version, '--datastore', ds.type]);
      expect(listed.find((row) => row.Name === ds.setting.name)).toMatchObject({ Type: 'integer' });
      const shown = await clients.openstackJson(['database', 'configuration', 'parameter', 'show', ds.version, ds.setting.name, '--datastore', ds.type], 'token');
      expect(shown.name).toBe(ds.setting.name);
      const refused = await clients.openstack(['database', 'configuration', 'parameter', 'set', state.configuration, JSON.stringify({ [ds.setting.name]: ds.setting.outOfRange })], { json: false });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/BERTH_ERR_CONFIGURATION_VALUE_INVALID/);
      expect(refused.stderr).toContain(ds.setting.name);
      const group = await clients.openstackJson(['database', 'configuration', 'show', state.configuration]);
      expect(JSON.parse(group.values)).toEqual({ [ds.setting.name]: ds.setting.second });
      const effective = await clients.openstackJson(['database', 'configuration', 'default', state.instance]);
      expect(Number(effective[ds.setting.name])).toBe(ds.setting.second);
    });

    it('restarts the instance: REBOOT, then ACTIVE with its data', async () => {
      await clients.openstackOk(['database', 'instance', 'restart', state.instance]);
      await waitStatus(state.instance, 'ACTIVE');
      state.port = await portOf(state.instance);
      expect(await ds.query(state.port, 'bob', 'bob-secret-1', 'shop', ds.showSetting)).toBe(String(ds.setting.second));
      expect(await ds.query(state.port, 'bob', 'bob-secret-1', 'shop', ds.read)).toBe('anchor');
    });

    it('refuses a volume resize (openstack, trove, library) with HTTP 400 and its code; the instance stays ACTIVE with its volume and data', async () => {
      await expectVolumeResizeRefused(clients, state.instance, 2);
      const shown = await clients.libraryOk('instances.get', [state.instance]);
      expect(shown).toMatchObject({ status: 'ACTIVE', volume: { size: 1 } });
      expect(await ds.query(state.port, 'bob', 'bob-secret-1', 'shop', ds.read)).toBe('anchor');
    });

    it('backs up (openstack), lists (trove) and shows the backup, and restores it into a new instance (library)', async () => {
      const created = await clients.openstackJson(['database', 'backup', 'create', 'nightly', '--instance', state.instance, '--description', 'before the release']);
      state.backup = created.id;
      const done = await waitFor(
        () => clients.openstackJson(['database', 'backup', 'show', state.backup]),
        (backup) => ['COMPLETED', 'FAILED'].includes(backup.status),
        'the backup',
        180_000,
        500,
      );
      expect(done).toMatchObject({ status: 'COMPLETED', instance_id: state.instance, name: 'nightly', datastore: ds.type });
      expect(done.size).toBeGreaterThan(0);
      const listed = await clients.openstackJson<Array<{ ID: string }>>(['database', 'backup', 'list']);
      expect(listed.map((row) => row.ID)).toContain(state.backup);
      expect(troveTableHas(await clients.troveOk(['backup-list']), state.backup)).toBe(true);

      const restored = await clients.libraryOk('instances.create', ['restored', '1'], { volume: { size: 1 }, restorePoint: { backupRef: state.backup }, datastore: ds.type, datastore_version: ds.version });
      state.restored = restored.id;
      await waitStatus(state.restored, 'ACTIVE');
      state.restoredPort = await portOf(state.restored);
      expect(await ds.query(state.restoredPort, 'bob', 'bob-secret-1', 'shop', ds.read)).toBe('anchor');
    });

    it("lists the guest's logs (openstack, trove), publishes one, and Berth's content route has its text", async () => {
      const logs = await clients.openstackJson<Array<{ Name: string; Type: string }>>(['database', 'log', 'list', state.instance]);
      expect(logs.length).toBeGreaterThan(0);
      const system = logs.find((log) => log.Type === 'SYS') ?? logs[0]!;
      expect(troveTableHas(await clients.troveOk(['log-list', state.instance]), system.Name)).toBe(true);
      const published = await clients.openstackJson(['database', 'log', 'set', state.instance, system.Name, '--publish']);
      expect(published.name).toBe(system.Name);
      const content = await fetch(`${setup.server.url}/v1.0/acme/instances/${state.instance}/log/${encodeURIComponent(system.Name)}/content`, { headers: { 'x-auth-token': TOKEN } });
      expect(content.status).toBe(200);
      expect((await content.text()).length).toBeGreaterThan(0);
    });

    it('deletes the backup and both instances', async () => {
      await clients.openstackOk(['database', 'backup', 'delete', state.backup]);
      const gone = await clients.library('backups.get', [state.backup]);
      expect(gone.ok ? null : gone.failure.http_status).toBe(404);
      for (const id of [state.restored, state.instance]) await clients.openstackOk(['database', 'instance', 'delete', id]);
      await waitFor(() => clients.library('instances.get', [state.instance]), (r) => !r.ok && r.failure.http_status === 404, 'the instance to be gone', 120_000, 500);
      const listed = await clients.openstackJson<unknown[]>(['database', 'instance', 'list']);
      expect(listed.filter((row: any) => row.ID === state.instance || row.ID === state.restored)).toEqual([]);
    });
  });
}
