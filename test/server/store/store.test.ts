import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthError } from '../../../datastores/errors/berth-error.js';
import { openStore } from '../../../server/store/kysely-store.js';
import type { NewInstance, Store } from '../../../server/store/store.js';
import { postgresEngine, sqliteEngine } from '../../support/databases.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function newInstance(project: string, overrides: Partial<NewInstance> = {}): NewInstance {
  return {
    id: randomUUID(),
    project,
    name: 'db1',
    datastore: 'postgresql',
    datastoreVersion: '15',
    status: 'BUILD',
    tokenSha256: 'a'.repeat(64),
    securityRules: [{ protocol: 'tcp', from_port: 5432, to_port: 5432, cidr: '10.0.0.0/8' }],
    buildDeadline: new Date('2031-02-03T04:05:06.789Z'),
    ...overrides,
  };
}

function shuffle<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

describe.each([sqliteEngine(), postgresEngine()])('the store on $name', (engine) => {
  let url: string | undefined;
  let opened: Store | undefined;
  let setupError: unknown;

  beforeAll(async () => {
    try {
      url = await engine.create();
      opened = await openStore(url);
    } catch (error) {
      // Kept and thrown by every test, so an unreachable engine fails each one rather than skipping it.
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

  it('creates and gets instances within their project only', async () => {
    const project = randomUUID();
    const fresh = newInstance(project);
    const created = await store().instances.create(fresh);
    expect(created).toMatchObject({ ...fresh, serviceStatus: null, fault: null, lastHeartbeatSentAt: null, lastHeartbeatSeq: null, lastHeartbeatAt: null });
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(created.updatedAt.getTime()).toBe(created.createdAt.getTime());

    expect(await store().instances.get(project, fresh.id)).toEqual(created);
    expect(await store().instances.getById(fresh.id)).toEqual(created);
    expect(await store().instances.get(randomUUID(), fresh.id)).toBeUndefined();
    expect(await store().instances.getById(randomUUID())).toBeUndefined();
  });

  it('lists a project newest first, without DELETED instances or other projects', async () => {
    const project = randomUUID();
    const first = await store().instances.create(newInstance(project, { name: 'first' }));
    await sleep(3);
    const second = await store().instances.create(newInstance(project, { name: 'second' }));
    await sleep(3);
    const gone = await store().instances.create(newInstance(project, { name: 'gone', status: 'DELETED' }));
    await store().instances.create(newInstance(randomUUID(), { name: 'elsewhere' }));

    const listed = await store().instances.list(project);
    expect(listed.map((instance) => instance.id)).toEqual([second.id, first.id]);
    expect(listed.map((instance) => instance.id)).not.toContain(gone.id);
    expect(await store().instances.list(randomUUID())).toEqual([]);
  });

  it('lists by status across projects', async () => {
    const error = await store().instances.create(newInstance(randomUUID(), { status: 'ERROR' }));
    const reboot = await store().instances.create(newInstance(randomUUID(), { status: 'REBOOT' }));
    const ids = (await store().instances.listByStatus(['ERROR', 'REBOOT'])).map((instance) => instance.id);
    expect(ids).toEqual(expect.arrayContaining([error.id, reboot.id]));
    expect((await store().instances.listByStatus(['REBOOT'])).map((instance) => instance.id)).not.toContain(error.id);
    expect(await store().instances.listByStatus([])).toEqual([]);
  });

  it('updates an instance, bumping updatedAt and leaving the rest alone', async () => {
    const created = await store().instances.create(newInstance(randomUUID()));
    await sleep(5);
    const updated = await store().instances.update(created.id, { status: 'ERROR', fault: 'build timed out', name: 'renamed' });
    expect(updated).toMatchObject({ status: 'ERROR', fault: 'build timed out', name: 'renamed', serviceStatus: null, securityRules: created.securityRules });
    expect(updated!.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
    expect(updated!.createdAt).toEqual(created.createdAt);
    expect(await store().instances.getById(created.id)).toEqual(updated);

    const cleared = await store().instances.update(created.id, { fault: null });
    expect(cleared).toMatchObject({ fault: null, status: 'ERROR' });
    expect(await store().instances.update(randomUUID(), { status: 'ACTIVE' })).toBeUndefined();
  });

  it('records a heartbeat only when it is newer by sentAt, then seq', async () => {
    const { id } = await store().instances.create(newInstance(randomUUID()));
    const at = (ms: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, 0, ms));
    const beat = (sent: number, seq: number, serviceStatus = 'RUNNING') => store().instances.recordHeartbeat(id, { sentAt: at(sent), seq, receivedAt: at(sent + 7), serviceStatus });

    expect(await beat(1_000, 5)).toBe(true);
    expect(await store().instances.getById(id)).toMatchObject({ lastHeartbeatSentAt: at(1_000), lastHeartbeatSeq: 5, lastHeartbeatAt: at(1_007), serviceStatus: 'RUNNING' });
    expect(await beat(1_000, 5, 'STALE')).toBe(false); // equal
    expect(await beat(1_000, 4, 'STALE')).toBe(false); // same sentAt, lower seq
    expect(await beat(999, 9, 'STALE')).toBe(false); // older sentAt, higher seq
    expect(await beat(1_000, 6, 'SHUTDOWN')).toBe(true); // same sentAt, higher seq
    expect(await beat(1_001, 0, 'CRASHED')).toBe(true); // newer sentAt, lower seq
    expect(await store().instances.getById(id)).toMatchObject({ lastHeartbeatSentAt: at(1_001), lastHeartbeatSeq: 0, lastHeartbeatAt: at(1_008), serviceStatus: 'CRASHED' });
    expect(await store().instances.recordHeartbeat(randomUUID(), { sentAt: at(5), seq: 1, receivedAt: at(6), serviceStatus: 'RUNNING' })).toBe(false);
  });

  it('ends concurrent heartbeats with the newest recorded', async () => {
    const { id } = await store().instances.create(newInstance(randomUUID()));
    const base = Date.UTC(2030, 5, 1);
    // Five sentAt values, four seqs each: the newest is the last sentAt with the highest seq.
    const beats = Array.from({ length: 20 }, (_, i) => ({ sentAt: new Date(base + Math.floor(i / 4) * 1_000), seq: i, receivedAt: new Date(base + i), serviceStatus: `S${i}` }));
    const answers = await Promise.all(shuffle(beats).map((heartbeat) => store().instances.recordHeartbeat(id, heartbeat)));
    expect(answers).toContain(true);
    expect(await store().instances.getById(id)).toMatchObject({ lastHeartbeatSentAt: new Date(base + 4_000), lastHeartbeatSeq: 19, lastHeartbeatAt: new Date(base + 19), serviceStatus: 'S19' });
  });

  it('moves tasks on, and never changes a finished one', async () => {
    const instance = await store().instances.create(newInstance(randomUUID()));
    const deadlineAt = new Date(Date.UTC(2030, 0, 1, 12, 0, 0, 321));
    const task = await store().tasks.create({ id: randomUUID(), instanceId: instance.id, operation: 'createDatabases', args: '[[{"name":"a"}]]', deadlineAt });
    expect(task).toMatchObject({ instanceId: instance.id, operation: 'createDatabases', args: '[[{"name":"a"}]]', state: 'pending', outcome: null, deadlineAt });
    expect(await store().tasks.get(task.id)).toEqual(task);
    expect(await store().tasks.get(randomUUID())).toBeUndefined();

    await sleep(5);
    expect(await store().tasks.update(task.id, 'running')).toBe(true);
    const running = await store().tasks.get(task.id);
    expect(running).toMatchObject({ state: 'running', outcome: null });
    expect(running!.updatedAt.getTime()).toBeGreaterThan(task.updatedAt.getTime());

    expect(await store().tasks.update(task.id, 'succeeded', '{"ok":null}')).toBe(true);
    expect(await store().tasks.update(task.id, 'failed', '{"err":"late"}')).toBe(false);
    expect(await store().tasks.update(task.id, 'running')).toBe(false);
    expect(await store().tasks.get(task.id)).toMatchObject({ state: 'succeeded', outcome: '{"ok":null}' });
    expect(await store().tasks.update(randomUUID(), 'running')).toBe(false);

    const failed = await store().tasks.create({ id: randomUUID(), instanceId: instance.id, operation: 'restart', args: '[]', deadlineAt });
    expect(await store().tasks.update(failed.id, 'failed', '{"err":"gone"}')).toBe(true);
    expect(await store().tasks.update(failed.id, 'succeeded', '{"ok":null}')).toBe(false);
    expect((await store().tasks.listForInstance(instance.id)).map((t) => t.id)).toEqual([task.id, failed.id]);
  });

  it('lists unfinished tasks: pending and running only', async () => {
    const instance = await store().instances.create(newInstance(randomUUID()));
    const make = (operation: string) => store().tasks.create({ id: randomUUID(), instanceId: instance.id, operation, args: '[]', deadlineAt: new Date() });
    const pending = await make('pending');
    const running = await make('running');
    const succeeded = await make('succeeded');
    const failed = await make('failed');
    await store().tasks.update(running.id, 'running');
    await store().tasks.update(succeeded.id, 'succeeded', '{"ok":1}');
    await store().tasks.update(failed.id, 'failed', '{"err":1}');
    const ids = (await store().tasks.listUnfinished()).map((task) => task.id);
    expect(ids).toEqual(expect.arrayContaining([pending.id, running.id]));
    expect(ids).not.toContain(succeeded.id);
    expect(ids).not.toContain(failed.id);
  });

  it('creates, lists by project and instance, and updates backups', async () => {
    const project = randomUUID();
    const one = await store().instances.create(newInstance(project));
    const two = await store().instances.create(newInstance(project));
    const make = (instanceId: string, name: string) =>
      store().backups.create({ id: randomUUID(), project, instanceId, name, description: name === 'a' ? 'first' : null, datastore: 'postgresql', datastoreVersion: '15', parentId: null });
    const a = await make(one.id, 'a');
    await sleep(3);
    const b = await make(two.id, 'b');
    expect(a).toMatchObject({ project, instanceId: one.id, name: 'a', description: 'first', state: 'NEW', size: null, checksum: null, location: null, format: null, metadata: null });

    expect((await store().backups.list(project)).map((backup) => backup.id)).toEqual([b.id, a.id]);
    expect((await store().backups.list(project, one.id)).map((backup) => backup.id)).toEqual([a.id]);
    expect(await store().backups.list(randomUUID())).toEqual([]);
    expect(await store().backups.get(project, a.id)).toEqual(a);
    expect(await store().backups.get(randomUUID(), a.id)).toBeUndefined();

    await sleep(5);
    const size = 5_000_000_123; // beyond 32 bits
    const done = await store().backups.update(a.id, { state: 'COMPLETED', size, checksum: 'f'.repeat(64), location: 'swift://b/a', format: '"tar"', metadata: '{"lsn":"0/1"}' });
    expect(done).toMatchObject({ state: 'COMPLETED', size, checksum: 'f'.repeat(64), location: 'swift://b/a', format: '"tar"', metadata: '{"lsn":"0/1"}', description: 'first' });
    expect(typeof done!.size).toBe('number');
    expect(done!.updatedAt.getTime()).toBeGreaterThan(a.updatedAt.getTime());
    expect(await store().backups.get(project, a.id)).toEqual(done);
    expect(await store().backups.update(randomUUID(), { state: 'FAILED' })).toBeUndefined();
  });

  it('round-trips dates to the millisecond, as Dates and plain numbers', async () => {
    const buildDeadline = new Date('2033-12-31T23:59:59.999Z');
    const created = await store().instances.create(newInstance(randomUUID(), { buildDeadline }));
    await store().instances.recordHeartbeat(created.id, { sentAt: new Date(1_700_000_000_001), seq: 2 ** 40, receivedAt: new Date(1_700_000_000_002), serviceStatus: 'RUNNING' });
    const read = (await store().instances.getById(created.id))!;
    expect(read.buildDeadline).toBeInstanceOf(Date);
    expect(read.buildDeadline.getTime()).toBe(buildDeadline.getTime());
    expect(read.lastHeartbeatSentAt!.getTime()).toBe(1_700_000_000_001);
    expect(read.lastHeartbeatAt!.getTime()).toBe(1_700_000_000_002);
    expect(read.lastHeartbeatSeq).toBe(2 ** 40);
    expect(typeof read.lastHeartbeatSeq).toBe('number');
    expect(Math.abs(read.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('keeps its data across closing and reopening (migrations run again harmlessly)', async () => {
    const project = randomUUID();
    const instance = await store().instances.create(newInstance(project));
    const task = await store().tasks.create({ id: randomUUID(), instanceId: instance.id, operation: 'restart', args: '[]', deadlineAt: new Date(Date.UTC(2030, 0, 1, 0, 0, 0, 1)) });
    const backup = await store().backups.create({ id: randomUUID(), project, instanceId: instance.id, name: 'kept', description: null, datastore: 'postgresql', datastoreVersion: '15', parentId: null });
    await store().close();
    opened = undefined;

    opened = await openStore(url!);
    expect(await store().instances.get(project, instance.id)).toEqual(instance);
    expect(await store().tasks.get(task.id)).toEqual(task);
    expect(await store().backups.get(project, backup.id)).toEqual(backup);
    expect((await store().tasks.listUnfinished()).map((t) => t.id)).toContain(task.id);
  });
});

describe('opening a store', () => {
  it('refuses an unknown url scheme, naming it', async () => {
    const failure = await openStore('mysql://x').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BerthError);
    expect(failure).toMatchObject({ code: 'BERTH_ERR_CONFIG_INVALID', message: expect.stringContaining('mysql') });
    expect((failure as BerthError).fix).toContain('sqlite:');
  });

  it('refuses a relative SQLite path', async () => {
    await expect(openStore('sqlite:berth.db')).rejects.toMatchObject({ code: 'BERTH_ERR_CONFIG_INVALID', message: expect.stringContaining('not absolute') });
  });

  it('names an unreachable PostgreSQL without its password', async () => {
    const failure = await openStore('postgres://berth:s3cret@127.0.0.1:1/berth').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BerthError);
    expect(failure).toMatchObject({ code: 'BERTH_ERR_STORE_UNAVAILABLE', message: expect.stringContaining('127.0.0.1:1') });
    expect((failure as BerthError).message).not.toContain('s3cret');
  });

  it('opens an in-memory SQLite store', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      const created = await store.instances.create(newInstance('p'));
      expect(await store.instances.get('p', created.id)).toEqual(created);
    } finally {
      await store.close();
    }
  });
});
