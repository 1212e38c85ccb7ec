import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../server/store/kysely-store.js';
import { TaskRunner } from '../../../server/instances/task-runner.js';
import { guestFixture, runHost, startHub, until } from '../../support/guest-host.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const db = (name: string) => ({ name, characterSet: undefined, collation: undefined });

describe('tasks across a server restart', () => {
  it('completes an accepted operation exactly once after the server process dies mid-call', async () => {
    const first = await startHub({});
    const fixture = await guestFixture('counter', first.url);
    cleanups.push(() => fixture.cleanup());
    const databaseUrl = `sqlite:${join(fixture.dir, 'berth.db')}`;
    runHost(fixture.configPath, cleanups);
    await until(() => first.hub.isConnected('inst-1'), 'the host to connect');

    // server 1 accepts the task and dies while the guest works on it
    const store1 = await openStore(databaseUrl);
    await store1.instances.create({
      id: 'inst-1', project: 'acme', name: 'db', datastore: 'counter', datastoreVersion: '1', status: 'ACTIVE',
      tokenSha256: 'e'.repeat(64), securityRules: [], buildDeadline: new Date(Date.now() + 60_000),
    });
    const runner1 = new TaskRunner(store1, first.hub);
    const lost = runner1.run('inst-1', 'create-databases', [[db('slow-1500')]], 30_000).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await first.close();
    expect(await lost).toMatchObject({ code: 'BERTH_ERR_SERVER_STOPPING' });
    await store1.close();

    // server 2 opens the same database and finishes what was accepted
    const second = await startHub({}, first.port);
    cleanups.push(() => second.close());
    const store2 = await openStore(databaseUrl);
    cleanups.push(() => store2.close());
    const unfinished = await store2.tasks.listUnfinished();
    expect(unfinished.map((t) => t.operation)).toEqual(['create-databases']);
    const runner2 = new TaskRunner(store2, second.hub);
    expect(await runner2.resumeUnfinished()).toBe(1);
    await until(() => second.hub.isConnected('inst-1'), 'the host to reconnect', 30_000);
    await expect(runner2.outcomeOf(unfinished[0]!.id)).resolves.toEqual({});
    expect((await store2.tasks.get(unfinished[0]!.id))?.state).toBe('succeeded');
    const effects = (await readFile(join(fixture.volume, 'effects.log'), 'utf8')).split('\n').filter(Boolean);
    expect(effects).toEqual(['slow-1500']);
  });
});

describe('which operations are recorded', () => {
  it('records writes as tasks and runs reads without a record', async () => {
    const hub = await startHub({});
    cleanups.push(() => hub.close());
    const fixture = await guestFixture('counter', hub.url);
    cleanups.push(() => fixture.cleanup());
    runHost(fixture.configPath, cleanups);
    await until(() => hub.hub.isConnected('inst-1'), 'the host to connect');
    const store = await openStore(`sqlite:${join(fixture.dir, 'berth.db')}`);
    cleanups.push(() => store.close());
    await store.instances.create({
      id: 'inst-1', project: 'acme', name: 'db', datastore: 'counter', datastoreVersion: '1', status: 'ACTIVE',
      tokenSha256: 'e'.repeat(64), securityRules: [], buildDeadline: new Date(Date.now() + 60_000),
    });
    const runner = new TaskRunner(store, hub.hub);

    await expect(runner.run('inst-1', 'create-databases', [[db('orders')]], 10_000)).resolves.toEqual({});
    const listed = await runner.run('inst-1', 'list-databases', [{ limit: undefined, marker: undefined, includeMarker: false }], 10_000);
    expect(listed).toMatchObject({ ok: { items: [{ name: 'orders' }] } });
    expect((await store.tasks.listForInstance('inst-1')).map((task) => [task.operation, task.state])).toEqual([['create-databases', 'succeeded']]);
  });
});
