import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthError } from '../../../datastores/errors/berth-error.js';
import { openStore } from '../../../server/store/kysely-store.js';
import type { NewInstance, NewTask, Store } from '../../../server/store/store.js';
import { postgresEngine, sqliteEngine } from '../../support/databases.js';

function newInstance(overrides: Partial<NewInstance> = {}): NewInstance {
  return {
    id: randomUUID(),
    project: 'acme',
    name: 'db1',
    datastore: 'postgresql',
    datastoreVersion: '15',
    status: 'BUILD',
    tokenSha256: 'a'.repeat(64),
    securityRules: [],
    buildDeadline: new Date(Date.UTC(2031, 0, 1)),
    ...overrides,
  };
}

const newTask = (instanceId: string, overrides: Partial<NewTask> = {}): NewTask => ({ id: randomUUID(), instanceId, operation: 'restart', args: '[]', deadlineAt: new Date(Date.UTC(2031, 0, 1)), ...overrides });

/** The error a store call failed with; fails the test when it did not. */
async function failureOf(call: Promise<unknown>): Promise<BerthError> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(BerthError);
  return outcome as BerthError;
}

describe.each([sqliteEngine(), postgresEngine('berth_conflicts_test')])('store conflicts on $name', (engine) => {
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

  it('answers an instance id that is taken with BERTH_ERR_STORE_CONFLICT (HTTP 409), and keeps the stored one', async () => {
    const first = await store().instances.create(newInstance({ name: 'first' }));
    const error = await failureOf(store().instances.create(newInstance({ id: first.id, name: 'second' })));
    expect(error.code).toBe('BERTH_ERR_STORE_CONFLICT');
    expect(error.status).toBe(409);
    expect(await store().instances.getById(first.id)).toEqual(first);
  });

  it('answers a task id that is taken with BERTH_ERR_STORE_CONFLICT', async () => {
    const instance = await store().instances.create(newInstance());
    const task = await store().tasks.create(newTask(instance.id));
    expect((await failureOf(store().tasks.create(newTask(instance.id, { id: task.id })))).code).toBe('BERTH_ERR_STORE_CONFLICT');
  });

  it('answers a task or backup of an instance that does not exist with BERTH_ERR_STORE_CONFLICT', async () => {
    const missing = randomUUID();
    expect((await failureOf(store().tasks.create(newTask(missing)))).code).toBe('BERTH_ERR_STORE_CONFLICT');
    const backup = { id: randomUUID(), project: 'acme', instanceId: missing, name: 'b', description: null, datastore: 'postgresql', datastoreVersion: '15', parentId: null };
    expect((await failureOf(store().backups.create(backup))).code).toBe('BERTH_ERR_STORE_CONFLICT');
    expect(await store().tasks.listForInstance(missing)).toEqual([]);
  });

  it('keeps working after a conflict', async () => {
    const instance = await store().instances.create(newInstance());
    await failureOf(store().instances.create(newInstance({ id: instance.id })));
    const task = await store().tasks.create(newTask(instance.id));
    expect(await store().tasks.get(task.id)).toEqual(task);
  });
});
