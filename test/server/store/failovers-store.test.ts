import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../server/store/kysely-store.js';
import type { Store } from '../../../server/store/store.js';

// The failovers table (migration 0008): one failover per replication group at a time, its step on record.
let store: Store;
beforeAll(async () => {
  store = await openStore('sqlite::memory:');
});
afterAll(() => store?.close());

async function instance(): Promise<string> {
  const id = randomUUID();
  await store.instances.create({ id, project: 'p', name: 'db', datastore: 'redis', datastoreVersion: '7', status: 'ACTIVE', tokenSha256: 'a'.repeat(64), securityRules: [], buildDeadline: new Date() });
  return id;
}

describe('the failovers store', () => {
  it('opens one failover per group, moves it on, lists the unfinished, forgets one given up', async () => {
    const [a, b] = [await instance(), await instance()];
    expect(await store.failovers.begin(a, 'fenced')).toBe(true);
    expect(await store.failovers.begin(a, 'fenced')).toBe(false);
    expect(await store.failovers.begin(b, 'fenced')).toBe(true);
    await store.failovers.update(a, { step: 'chosen', newSourceId: b });
    expect(await store.failovers.get(a)).toMatchObject({ sourceId: a, step: 'chosen', newSourceId: b, detail: null });
    await store.failovers.update(a, { step: 'done' });
    expect((await store.failovers.listUnfinished()).map((f) => f.sourceId)).toEqual([b]);
    // a group whose failover is done never starts another for the same old source
    expect(await store.failovers.begin(a, 'fenced')).toBe(false);
    await store.failovers.forget(b);
    expect(await store.failovers.get(b)).toBeUndefined();
    expect(await store.failovers.begin(b, 'fenced')).toBe(true);
  });

  it('refuses a failover of an instance that does not exist (BERTH_ERR_STORE_CONFLICT)', async () => {
    await expect(store.failovers.begin(randomUUID(), 'fenced')).rejects.toMatchObject({ code: 'BERTH_ERR_STORE_CONFLICT' });
  });
});
