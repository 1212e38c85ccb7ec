import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture } from '../../support/components.js';
import { bareSandboxSpec } from '../../support/sandbox-spec.js';
import { transpileComponent, type TranspiledComponent } from '../../../host/component/compile.js';
import { Sandbox } from '../../../host/sandbox/sandbox.js';
import type { Event } from '../../../host/generated/interfaces/berth-datastore-events.js';

// What a caller of the sandbox relies on, call after call: a call's events reach the host before its
// result, results of any size arrive whole, and concurrent calls are answered in order, each its own.
let component: TranspiledComponent;
beforeAll(async () => {
  component = await transpileComponent((await buildFixture('counter', 'quickjs')).bytes);
});

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function counterSandbox(onEvent?: (event: Event) => void): Promise<{ sandbox: Sandbox; volume: string }> {
  const volume = await mkdtemp(join(tmpdir(), 'berth-calls-volume-'));
  cleanups.push(() => rm(volume, { recursive: true, force: true }));
  const sandbox = await Sandbox.start({
    component,
    spec: { ...bareSandboxSpec({ mount_point: '/var/lib/counter' }), directories: [{ hostPath: volume, guestPath: '/var/lib/counter', access: 'read-write' }] },
    quickTimeoutMs: 5000,
    slowTimeoutMs: 5000,
    ...(onEvent ? { onEvent } : {}),
  });
  cleanups.push(() => sandbox.close());
  return { sandbox, volume };
}

const paging = { limit: undefined, marker: undefined, includeMarker: false };

describe('sandbox calls', () => {
  it('delivers the events a call emitted before its result, call after call', async () => {
    const events: string[] = [];
    const { sandbox } = await counterSandbox((event) => events.push(JSON.stringify(event)));
    for (let i = 0; i < 20; i++) {
      const outcome = await sandbox.call('create-databases', [[{ name: `db${i}`, characterSet: undefined, collation: undefined }]]);
      expect(outcome).toEqual({ ok: undefined });
      // both progress events of this call were heard by the time it resolved
      expect(events.filter((event) => event.includes(`db${i}`))).toHaveLength(2);
    }
    // a void result (ok: undefined) and a list result both arrive as the manager gave them
    const listed = (await sandbox.call('list-databases', [paging])) as { ok: { items: Array<{ name: string }> } };
    expect(listed.ok.items.map((item) => item.name)).toEqual(Array.from({ length: 20 }, (_, i) => `db${i}`));
  });

  it('answers a result of hundreds of KiB intact, and the next calls as usual', async () => {
    const { sandbox, volume } = await counterSandbox();
    const names = Array.from({ length: 3000 }, (_, i) => `database-with-a-long-name-${String(i).padStart(5, '0')}`);
    await writeFile(join(volume, 'effects.log'), `${names.join('\n')}\n`);
    for (let round = 0; round < 3; round++) {
      const listed = (await sandbox.call('list-databases', [paging])) as { ok: { items: Array<{ name: string }> } };
      expect(JSON.stringify(listed).length).toBeGreaterThan(128 * 1024);
      expect(listed.ok.items.map((item) => item.name)).toEqual(names);
      expect(await sandbox.call('status', [])).toEqual({ ok: 'running' });
    }
  });

  it('answers thousands of quick calls in order, each with its own result', async () => {
    const { sandbox, volume } = await counterSandbox();
    await writeFile(join(volume, 'effects.log'), 'only\n');
    const outcomes = await Promise.all(Array.from({ length: 2000 }, (_, i) => sandbox.call(i % 2 ? 'status' : 'list-databases', [paging].slice(0, i % 2 ? 0 : 1))));
    outcomes.forEach((outcome, i) => expect(outcome).toEqual(i % 2 ? { ok: 'running' } : { ok: { items: [{ name: 'only', characterSet: 'hello', collation: undefined }], nextMarker: undefined } }));
  });
});
