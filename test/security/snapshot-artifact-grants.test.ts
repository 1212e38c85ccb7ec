// Replication moves a snapshot through the backup store: get-replication-snapshot uploads it on the
// source, attach-replica downloads it on the replica. A compromised guest (holding its instance's
// token) or a hostile manager may move only the snapshot of the replication call in flight on it,
// in that call's direction, and a replica fetches nothing it could not check.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationName } from '../../datastores/sdk/operations.js';
import type { ArtifactGrant } from '../../host/capabilities/artifacts.js';
import { encodeWire } from '../../host/rpc/wire-values.js';
import { SNAPSHOT_SHA256_KEY, SNAPSHOT_SIZE_KEY } from '../../host/rpc/artifact-names.js';
import { withArtifacts } from '../../host/sandbox/artifact-calls.js';
import { artifactGranted } from '../../server/backups/artifact-grants.js';
import { openStore } from '../../server/store/kysely-store.js';
import type { Store } from '../../server/store/store.js';
import { sqliteEngine } from '../support/databases.js';

const engine = sqliteEngine();
let store: Store;
let instanceId: string;

beforeAll(async () => {
  store = await openStore(await engine.create());
  instanceId = (
    await store.instances.create({
      id: randomUUID(),
      project: 'acme',
      name: 'replica',
      datastore: 'redis',
      datastoreVersion: '7',
      status: 'BUILD',
      tokenSha256: 'a'.repeat(64),
      securityRules: [],
      buildDeadline: new Date(Date.UTC(2031, 0, 1)),
    })
  ).id;
});
afterAll(async () => {
  await store?.close();
  await engine.destroy();
});

const SHA = 'b'.repeat(64);
const snapshot = (snapshotId: string, extra: Array<{ key: string; value: string }>) => ({
  snapshotId,
  logPosition: '42',
  source: { host: '127.0.0.1', port: 6380, user: 'berth_x', password: 'p', extra: [] },
  datasetSize: 10n,
  extra,
});
const checked = [
  { key: SNAPSHOT_SIZE_KEY, value: '10' },
  { key: SNAPSHOT_SHA256_KEY, value: SHA },
];

/** A task as the server stores what it sent the guest. */
async function inFlight(operation: string, args: unknown[], deadlineAt = new Date(Date.now() + 60_000)): Promise<string> {
  const task = await store.tasks.create({ id: randomUUID(), instanceId, operation, args: encodeWire(args), deadlineAt });
  await store.tasks.update(task.id, 'running');
  return task.id;
}

describe('the server lets a guest move only the snapshot its in-flight replication call names', () => {
  it('get-replication-snapshot: upload of its own snapshot id, never a download, never another id', async () => {
    const task = await inFlight('get-replication-snapshot', ['snap-source-1', [{ key: 'replica-name', value: 'berth_' + '0'.repeat(32) }]]);
    expect(await artifactGranted(store, instanceId, 'snap-source-1', 'upload')).toBe(true);
    expect(await artifactGranted(store, instanceId, 'snap-source-1', 'download')).toBe(false);
    expect(await artifactGranted(store, instanceId, 'snap-other', 'upload')).toBe(false);
    // once the call is answered the grant is gone
    await store.tasks.update(task, 'succeeded', '{"ok":null}');
    expect(await artifactGranted(store, instanceId, 'snap-source-1', 'upload')).toBe(false);
  });

  it('attach-replica: download of its snapshot only when the server named its size and sha256; never an upload', async () => {
    const task = await inFlight('attach-replica', [snapshot('snap-2', checked), []]);
    expect(await artifactGranted(store, instanceId, 'snap-2', 'download')).toBe(true);
    expect(await artifactGranted(store, instanceId, 'snap-2', 'upload')).toBe(false);
    expect(await artifactGranted(store, instanceId, 'snap-3', 'download')).toBe(false);
    await store.tasks.update(task, 'failed', '{"err":null}');

    const unchecked = await inFlight('attach-replica', [snapshot('snap-4', [{ key: SNAPSHOT_SIZE_KEY, value: '10' }]), []]);
    expect(await artifactGranted(store, instanceId, 'snap-4', 'download')).toBe(false);
    await store.tasks.update(unchecked, 'failed', '{"err":null}');
  });

  it('a replication call past its deadline grants nothing', async () => {
    await inFlight('get-replication-snapshot', ['snap-late', []], new Date(Date.now() - 1000));
    expect(await artifactGranted(store, instanceId, 'snap-late', 'upload')).toBe(false);
  });

  it('an empty snapshot id (re-pointing) names no artifact', async () => {
    await inFlight('get-replication-snapshot', ['', []]);
    await inFlight('attach-replica', [snapshot('', checked), []]);
    expect(await artifactGranted(store, instanceId, '', 'upload')).toBe(false);
    expect(await artifactGranted(store, instanceId, '', 'download')).toBe(false);
  });
});

describe('the host grants a manager only the snapshot its call names, and fetches only what it can check', () => {
  let spoolDir: string;
  beforeAll(async () => {
    spoolDir = await mkdtemp(join(tmpdir(), 'berth-spool-'));
  });
  afterAll(() => rm(spoolDir, { recursive: true, force: true }));

  function recordingHost() {
    const downloads: Array<{ id: string; size: number; sha256: string }> = [];
    const uploads: string[] = [];
    const grants: ArtifactGrant[][] = [];
    const call = withArtifacts({
      spoolDir,
      // stands in for the server's artifact routes, which the first describe covers with the real store
      transfer: {
        upload: async (id) => {
          uploads.push(id);
          return { size: 0, sha256: '' };
        },
        download: async (id, _path, expected) => void downloads.push({ id, size: expected.size, sha256: expected.sha256 }),
      },
      claims: new Set<OperationName>(['attach-replica', 'get-replication-snapshot']),
      call: async (_operation, _args, _deadline, artifacts) => {
        grants.push(artifacts);
        return { ok: null };
      },
    });
    return { call: (operation: OperationName, args: unknown[]) => call(operation, args, { ms: 10_000, setting: 'host.call_timeout', where: 'guest.toml' }), downloads, uploads, grants };
  }

  it('attach-replica without the size and sha256 in extra: nothing fetched, no artifact granted', async () => {
    const host = recordingHost();
    await host.call('attach-replica', [snapshot('snap-5', []), []]);
    expect(host.downloads).toEqual([]);
    expect(host.grants).toEqual([[]]);
  });

  it('attach-replica with them: the named snapshot fetched and checked against them, granted read-only', async () => {
    const host = recordingHost();
    await host.call('attach-replica', [snapshot('snap-6', checked), []]);
    expect(host.downloads).toEqual([{ id: 'snap-6', size: 10, sha256: SHA }]);
    expect(host.grants.map((g) => g.map(({ name, access }) => ({ name, access })))).toEqual([[{ name: 'snap-6', access: 'read' }]]);
  });

  it('get-replication-snapshot: its snapshot id granted for writing and uploaded; an id that could leave the spool gets nothing', async () => {
    const host = recordingHost();
    await host.call('get-replication-snapshot', ['snap-7', []]);
    await host.call('get-replication-snapshot', ['../../etc/passwd', []]);
    expect(host.uploads).toEqual(['snap-7']);
    expect(host.grants.map((g) => g.map(({ name, access }) => ({ name, access })))).toEqual([[{ name: 'snap-7', access: 'write' }], []]);
  });
});
