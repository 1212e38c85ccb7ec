import { randomUUID } from 'node:crypto';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthError } from '../../../datastores/errors/berth-error.js';
import { openStore } from '../../../server/store/kysely-store.js';
import { migrationProvider } from '../../../server/store/migrations.js';
import type { NewConfiguration, NewInstance, Store } from '../../../server/store/store.js';
import { postgresEngine, sqliteEngine } from '../../support/databases.js';

function newInstance(project: string, overrides: Partial<NewInstance> = {}): NewInstance {
  return {
    id: randomUUID(),
    project,
    name: 'db1',
    datastore: 'postgresql',
    datastoreVersion: '18',
    status: 'ACTIVE',
    tokenSha256: 'a'.repeat(64),
    securityRules: [],
    buildDeadline: new Date(Date.UTC(2031, 0, 1)),
    ...overrides,
  };
}

function newConfiguration(project: string, overrides: Partial<NewConfiguration> = {}): NewConfiguration {
  return {
    id: randomUUID(),
    project,
    name: 'tuned',
    description: 'for reports',
    datastore: 'postgresql',
    datastoreVersion: '18',
    // every value type, in an order that is not alphabetical
    values: { work_mem: '8MB', statement_timeout: 5000, random_page_cost: 1.1, jit: false },
    ...overrides,
  };
}

async function failureOf(call: Promise<unknown>): Promise<BerthError> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(BerthError);
  return outcome as BerthError;
}

describe.each([sqliteEngine(), postgresEngine('berth_configurations_test')])('configuration groups in the store on $name', (engine) => {
  let opened: Store | undefined;
  let setupError: unknown;

  beforeAll(async () => {
    try {
      opened = await openStore(await engine.create());
    } catch (error) {
      // kept and thrown by every test, so an unreachable engine fails each one rather than skipping it
      setupError = error;
    }
  });
  afterAll(async () => {
    await opened?.close();
    await engine.destroy();
  });

  function store(): Store {
    if (opened === undefined) throw new Error(`${engine.name} store could not be set up: ${String(setupError)}`, { cause: setupError });
    return opened;
  }

  it('creates a group and reads it back with its values, their types and order, within its project only', async () => {
    const project = randomUUID();
    const fresh = newConfiguration(project);
    const created = await store().configurations.create(fresh);
    expect(created).toEqual({ ...fresh, createdAt: expect.any(Date), updatedAt: created.createdAt });
    expect(Object.keys(created.values)).toEqual(['work_mem', 'statement_timeout', 'random_page_cost', 'jit']);
    expect(await store().configurations.get(project, created.id)).toEqual(created);
    expect(await store().configurations.get('another-project', created.id)).toBeUndefined();
    expect(await store().configurations.list('another-project')).toEqual([]);
  });

  it('lists a project groups newest first', async () => {
    const project = randomUUID();
    const first = await store().configurations.create(newConfiguration(project, { name: 'first' }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await store().configurations.create(newConfiguration(project, { name: 'second', description: null }));
    expect((await store().configurations.list(project)).map((c) => c.id)).toEqual([second.id, first.id]);
  });

  it('updates values, name and description, leaving what the patch does not name', async () => {
    const project = randomUUID();
    const created = await store().configurations.create(newConfiguration(project));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const renamed = await store().configurations.update(created.id, { name: 'renamed' });
    expect(renamed).toMatchObject({ name: 'renamed', description: 'for reports', values: created.values });
    expect(renamed!.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
    const revalued = await store().configurations.update(created.id, { values: { max_connections: 50 }, description: null });
    expect(revalued).toMatchObject({ name: 'renamed', description: null, values: { max_connections: 50 } });
    expect(await store().configurations.update(randomUUID(), { name: 'x' })).toBeUndefined();
  });

  it('attaches with a compare-and-swap: only one of two attaches wins, and detaching needs the group attached', async () => {
    const project = randomUUID();
    const [a, b] = [await store().configurations.create(newConfiguration(project)), await store().configurations.create(newConfiguration(project))];
    const instance = await store().instances.create(newInstance(project));
    expect(instance.configurationId).toBeNull();
    const wins = await Promise.all([store().instances.swapConfiguration(instance.id, null, a.id), store().instances.swapConfiguration(instance.id, null, b.id)]);
    expect(wins.filter(Boolean)).toHaveLength(1);
    const winner = wins[0] ? a.id : b.id;
    expect((await store().instances.getById(instance.id))!.configurationId).toBe(winner);
    expect(await store().instances.swapConfiguration(instance.id, winner === a.id ? b.id : a.id, null)).toBe(false);
    expect(await store().instances.swapConfiguration(instance.id, winner, null)).toBe(true);
    expect((await store().instances.getById(instance.id))!.configurationId).toBeNull();
  });

  it('lists the live instances a group is attached to, created with it or attached later', async () => {
    const project = randomUUID();
    const group = await store().configurations.create(newConfiguration(project));
    const other = await store().configurations.create(newConfiguration(project));
    const atCreate = await store().instances.create(newInstance(project, { name: 'at-create', configurationId: group.id }));
    const later = await store().instances.create(newInstance(project, { name: 'later' }));
    await store().instances.swapConfiguration(later.id, null, group.id);
    await store().instances.create(newInstance(project, { name: 'elsewhere', configurationId: other.id }));
    const gone = await store().instances.create(newInstance(project, { name: 'gone', configurationId: group.id }));
    await store().instances.update(gone.id, { status: 'DELETED' });
    expect(atCreate.configurationId).toBe(group.id);
    expect((await store().instances.listByConfiguration(group.id)).map((i) => i.name).sort()).toEqual(['at-create', 'later']);
  });

  it('refuses to delete a group an instance refers to, and to refer to a group that does not exist', async () => {
    const project = randomUUID();
    const group = await store().configurations.create(newConfiguration(project));
    const instance = await store().instances.create(newInstance(project, { configurationId: group.id }));
    expect((await failureOf(store().configurations.delete(group.id))).code).toBe('BERTH_ERR_STORE_CONFLICT');
    // a deleted instance lets go of its group (the instance service clears it), then the group may go
    await store().instances.update(instance.id, { status: 'DELETED', configurationId: null });
    expect(await store().configurations.delete(group.id)).toBe(true);
    expect(await store().configurations.delete(group.id)).toBe(false);
    expect(await store().configurations.get(project, group.id)).toBeUndefined();
    expect((await failureOf(store().instances.create(newInstance(project, { configurationId: group.id })))).code).toBe('BERTH_ERR_STORE_CONFLICT');
  });
});

describe('the configurations migration on a database of the previous schema', () => {
  it('keeps existing instances, with no configuration attached', async () => {
    const engine = sqliteEngine();
    const url = await engine.create();
    try {
      // the schema as 0002 left it, with an instance in it
      const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SqliteDatabase(url.slice('sqlite:'.length)) }) });
      expect((await new Migrator({ db, provider: migrationProvider }).migrateTo('0002_backup_parent_and_endpoint')).error).toBeUndefined();
      const now = Date.now();
      const id = randomUUID();
      await db
        .insertInto('instances')
        .values({ id, project: 'p', name: 'old', datastore: 'postgresql', datastore_version: '18', status: 'ACTIVE', token_sha256: 'a'.repeat(64), security_rules: '[]', build_deadline: now, created_at: now, updated_at: now })
        .execute();
      await db.destroy();

      const store = await openStore(url);
      try {
        expect(await store.instances.get('p', id)).toMatchObject({ name: 'old', configurationId: null });
        expect(await store.configurations.list('p')).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      await engine.destroy();
    }
  });
});
