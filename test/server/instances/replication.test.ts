import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, startTestServer, waitFor, type StartedTestServer, type TestServer } from '../../support/server.js';

// Replication through Trove's API with real guest hosts running a real component (the replicas
// fixture, which records on its volume what the server asked of it): create with replica_of and
// replica_count, seeding through a snapshot artifact, detach, promote, eject, and the refusals.
const TOKEN = 'acme-token-0123456789';
let setup: StartedTestServer;
let server: TestServer;

beforeAll(async () => {
  setup = await startTestServer({
    name: 'replication',
    projects: { acme: TOKEN },
    managers: { replicas: 'replicas', backups: 'backups' },
    timeouts: { report_interval: 0.2, heartbeat_expiry: 2 },
    datastores: [
      { name: 'replicas', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/replicas' }, versions: [{ name: '1', manager: 'replicas' }] },
      { name: 'streamed', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/replicas', seed: 'stream' }, versions: [{ name: '1', manager: 'replicas' }] },
      { name: 'backups', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/payload' }, versions: [{ name: '1', manager: 'backups' }] },
    ],
  });
  server = setup.server;
}, 300_000);
afterAll(() => setup?.cleanup());

const api = (method: string, path: string, body?: unknown) => apiRequest(server.url, TOKEN, method, `/v1.0/acme${path}`, body);
const show = async (id: string) => (await api('GET', `/instances/${id}`)).body.instance;
const volume = (id: string, file: string) => join(setup.dir, 'instances', id, 'volume', file);
const role = (id: string) => JSON.parse(readFileSync(volume(id, 'role.json'), 'utf8'));
const calls = (id: string): Array<{ operation: string; args: any }> =>
  existsSync(volume(id, 'calls.log')) ? readFileSync(volume(id, 'calls.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line)) : [];
const replicaName = (id: string) => `berth_${id.replace(/-/g, '')}`;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

async function settled(id: string): Promise<any> {
  return (await waitFor(() => show(id), (instance) => instance.status !== 'BUILD', `instance ${id} to leave BUILD`, 60_000)) ;
}

async function create(body: Record<string, unknown>): Promise<any> {
  const created = await api('POST', '/instances', { instance: body });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  return created.body.instance;
}

describe('replicas through Trove\'s API', () => {
  let source = '';
  let first = '';
  let second = '';

  it('refuses a bad replica create naming the field, before anything is made', async () => {
    source = (await create({ name: 'source', datastore: { type: 'replicas' } })).id;
    expect((await settled(source)).status).toBe('ACTIVE');
    const cases: Array<[string, Record<string, unknown>, number, string]> = [
      ['replica_of', { replica_of: 'not-a-uuid' }, 400, 'BERTH_ERR_VALIDATION'],
      ['replica_count', { replica_of: source, replica_count: 0 }, 400, 'BERTH_ERR_VALIDATION'],
      ['replica_count', { datastore: { type: 'replicas' }, replica_count: 2 }, 400, 'BERTH_ERR_VALIDATION'],
      ['datastore', {}, 400, 'BERTH_ERR_VALIDATION'],
      ['databases', { replica_of: source, databases: [{ name: 'x' }] }, 400, 'BERTH_ERR_VALIDATION'],
      ['name', { name: 'n'.repeat(62), replica_of: source, replica_count: 10 }, 400, 'BERTH_ERR_VALIDATION'],
      ['replica_of', { replica_of: '7c1f2f53-8d8a-4c1e-9d54-4a0b5b0a2f11' }, 404, 'BERTH_ERR_INSTANCE_NOT_FOUND'],
    ];
    for (const [field, body, status, code] of cases) {
      const refused = await api('POST', '/instances', { instance: { name: 'r', ...body } });
      expect([refused.status, refused.body.error?.code], field).toEqual([status, code]);
      if (code === 'BERTH_ERR_VALIDATION') expect(JSON.stringify(refused.body), field).toContain(field);
    }
    const standalone = (await create({ name: 'standalone', datastore: { type: 'backups' } })).id;
    expect((await settled(standalone)).status).toBe('ACTIVE');
    const unsupported = await api('POST', '/instances', { instance: { name: 'r', replica_of: standalone } });
    expect([unsupported.status, unsupported.body.error.code]).toEqual([400, 'BERTH_ERR_OPERATION_UNSUPPORTED']);
    expect((await api('GET', '/instances')).body.instances.map((i: { name: string }) => i.name).sort()).toEqual(['source', 'standalone']);
  });

  it('creates replica_count replicas named name-1..name-N, seeded from a snapshot artifact, BUILD until attached', async () => {
    expect((await api('POST', `/instances/${source}/databases`, { databases: [{ name: 'bytes-300000' }] })).status).toBe(202);
    const created = await create({ name: 'r', replica_of: source, replica_count: 2 });
    expect(created.status).toBe('BUILD');
    expect(created.replica_of.id).toBe(source);
    const listed = (await api('GET', '/instances')).body.instances as Array<{ id: string; name: string }>;
    first = listed.find((i) => i.name === 'r-1')!.id;
    second = listed.find((i) => i.name === 'r-2')!.id;
    expect(created.id).toBe(first);
    for (const id of [first, second]) {
      const replica = await settled(id);
      expect(replica.status, JSON.stringify(replica.fault)).toBe('ACTIVE');
      expect(replica.datastore).toEqual({ type: 'replicas', version: '1' });
      expect(replica.replica_of.id).toBe(source);
      expect(replica.replica_of.links[0].href).toContain(`/instances/${source}`);
      // the data came through the artifact, byte for byte, and the replica refuses writes
      expect(sha256(readFileSync(volume(id, 'payload.bin')))).toBe(sha256(readFileSync(volume(source, 'payload.bin'))));
      expect(role(id)).toMatchObject({ role: 'replica', readOnly: true });
      const attach = calls(id).find((call) => call.operation === 'attach-replica')!;
      const shownSource = await show(source);
      // the fixture datastore listens nowhere: the server fills in the endpoint it has, none here
      expect(attach.args.snapshot.source).toMatchObject({ host: shownSource.addresses?.[0]?.address ?? '', port: shownSource.port ?? 0, user: `repl_${replicaName(id)}` });
      const extra = Object.fromEntries(attach.args.snapshot.extra.map((kv: { key: string; value: string }) => [kv.key, kv.value]));
      expect(extra).toMatchObject({ guest: 'replicas', 'berth-artifact-size': '300000', 'berth-artifact-sha256': sha256(readFileSync(volume(source, 'payload.bin'))) });
      expect(attach.args.settings).toContainEqual({ key: 'replica-name', value: replicaName(id) });
      expect(attach.args.settings).toContainEqual({ key: 'replica-host', value: replica.addresses?.[0]?.address ?? '' });
    }
    const snapshots = calls(source).filter((call) => call.operation === 'get-replication-snapshot');
    expect(snapshots.map((call) => call.args.snapshotId).every((id: string) => /^[0-9a-f-]{36}$/.test(id))).toBe(true);
    expect(snapshots.map((call) => call.args.settings.find((kv: { key: string }) => kv.key === 'replica-name').value).sort()).toEqual([replicaName(first), replicaName(second)].sort());
    // the snapshot artifacts are gone once the replicas have them
    expect((await api('GET', '/backups')).body.backups).toEqual([]);
    expect((await show(source)).replicas.map((r: { id: string }) => r.id).sort()).toEqual([first, second].sort());
    const inList = ((await api('GET', '/instances')).body.instances as Array<{ id: string; replicas?: Array<{ id: string }> }>).find((i) => i.id === source)!;
    expect(inList.replicas!.map((r) => r.id).sort()).toEqual([first, second].sort());
    // a replica refuses writes (the manager's read-only)
    expect((await api('POST', `/instances/${first}/databases`, { databases: [{ name: 'x' }] })).status).toBe(502);
  });

  it('refuses to delete a source with replicas, and to promote or detach what is not a replica', async () => {
    const refused = await api('DELETE', `/instances/${source}`);
    expect([refused.status, refused.body.error.code]).toEqual([409, 'BERTH_ERR_REPLICA_SOURCE']);
    const promote = await api('POST', `/instances/${source}/action`, { promote_to_replica_source: {} });
    expect([promote.status, promote.body.error.code]).toEqual([409, 'BERTH_ERR_REPLICATION_ROLE']);
    const detach = await api('PUT', `/instances/${source}`, { instance: { replica_of: null } });
    expect([detach.status, detach.body.error.code]).toEqual([409, 'BERTH_ERR_REPLICATION_ROLE']);
    const eject = await api('POST', `/instances/${source}/action`, { eject_replica_source: {} });
    expect([eject.status, eject.body.error.code]).toEqual([409, 'BERTH_ERR_INSTANCE_STATE']);
    const chained = await api('POST', '/instances', { instance: { name: 'chained', replica_of: first } });
    expect([chained.status, chained.body.error.code]).toEqual([409, 'BERTH_ERR_REPLICATION_ROLE']);
    expect((await show(source)).status).toBe('ACTIVE');
  });

  it('detaches a replica (PUT replica_of null): standalone, read-write, and the source drops it', async () => {
    expect((await api('PUT', `/instances/${second}`, { instance: { replica_of: null } })).status).toBe(202);
    const detached = await show(second);
    expect(detached.replica_of).toBeUndefined();
    expect(role(second)).toMatchObject({ role: 'standalone', readOnly: false });
    expect(calls(second).at(-1)).toEqual({ operation: 'detach-replica', args: { forFailover: false } });
    expect((await show(source)).replicas.map((r: { id: string }) => r.id)).toEqual([first]);
    expect(role(source)).toMatchObject({ role: 'primary', replicas: replicaName(first) });
    expect((await api('POST', `/instances/${second}/databases`, { databases: [{ name: 'x' }] })).status).toBe(202);
  });

  it('promotes a replica (a switchover): the source stops writes, the candidate catches up, then they swap', async () => {
    expect((await api('POST', `/instances/${first}/action`, { promote_to_replica_source: {} })).status).toBe(202);
    const promoted = await show(first);
    expect(promoted.replica_of).toBeUndefined();
    expect(promoted.replicas.map((r: { id: string }) => r.id)).toEqual([source]);
    expect((await show(source)).replica_of.id).toBe(first);
    const sourceCalls = calls(source).map((call) => call.operation);
    const from = sourceCalls.lastIndexOf('make-read-only');
    expect(sourceCalls.slice(from)).toEqual(['make-read-only', 'get-latest-txn-id', 'demote-replication-master', 'attach-replica']);
    const latest = calls(source).filter((call) => call.operation === 'get-latest-txn-id').at(-1)!.args.at;
    const candidateCalls = calls(first).slice(-4);
    expect(candidateCalls.map((call) => call.operation)).toEqual(['wait-for-txn', 'detach-replica', 'enable-as-master', 'get-replication-snapshot']);
    expect(candidateCalls[0]!.args.transactionId).toBe(latest);
    expect(candidateCalls[1]!.args).toEqual({ forFailover: true });
    expect(candidateCalls[3]!.args.snapshotId).toBe('');
    expect(role(first)).toMatchObject({ role: 'primary', readOnly: false, replicas: replicaName(source) });
    expect(role(source)).toMatchObject({ role: 'replica', readOnly: true, source: { port: promoted.port ?? 0 } });
  });

  it('a switchover whose candidate cannot catch up changes nothing and the source takes writes again', async () => {
    writeFileSync(volume(source, 'lagging'), 'yes');
    const refused = await api('POST', `/instances/${source}/action`, { promote_to_replica_source: {} });
    expect([refused.status, refused.body.error.code]).toEqual([502, 'BERTH_ERR_REPLICATION_FAILED']);
    expect((await show(source)).replica_of.id).toBe(first);
    expect(role(first)).toMatchObject({ role: 'primary', readOnly: false });
  });

  it('ejects a source that is gone: the most advanced replica becomes the source, the others follow it, the old one is fenced', async () => {
    const third = (await create({ name: 'third', replica_of: first })).id;
    expect((await settled(third)).status).toBe('ACTIVE');
    writeFileSync(volume(source, 'txn'), '900');
    writeFileSync(volume(third, 'txn'), '1200');
    const pid = server.provisioner!.pidOf(first)!;
    process.kill(pid, 'SIGSTOP');
    try {
      await waitFor(() => show(first), (instance) => instance.status === 'ERROR', 'the silent source to show ERROR', 20_000);
      expect((await api('POST', `/instances/${first}/action`, { eject_replica_source: {} })).status).toBe(202);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const fenced = await show(first);
    expect(fenced.status).toBe('ERROR');
    expect(fenced.fault.message).toMatch(/^BERTH_ERR_REPLICA_FENCED/);
    expect(fenced.replica_of.id).toBe(third);
    const promoted = await show(third);
    expect(promoted.replica_of).toBeUndefined();
    expect(promoted.replicas.map((r: { id: string }) => r.id).sort()).toEqual([first, source].sort());
    expect((await show(source)).replica_of.id).toBe(third);
    expect(role(third)).toMatchObject({ role: 'primary', readOnly: false, replicas: replicaName(source) });
    expect(role(source)).toMatchObject({ role: 'replica', source: { port: promoted.port ?? 0 } });
    // heartbeats from the fenced source do not bring it back
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await show(first)).status).toBe('ERROR');
    // and its guest, back from the freeze, is told to refuse writes: never a second primary
    await waitFor(async () => role(first), (r) => r.readOnly === true, 'the returned source to be fenced read-only', 20_000);
    expect(calls(first).filter((call) => call.operation === 'demote-replication-master')).toHaveLength(1);
  });

  it('a datastore that streams its seed gets an empty snapshot-id and no artifact', async () => {
    const primary = (await create({ name: 'streamed', datastore: { type: 'streamed' } })).id;
    expect((await settled(primary)).status).toBe('ACTIVE');
    const replica = (await create({ name: 'streamed-replica', replica_of: primary })).id;
    expect((await settled(replica)).status).toBe('ACTIVE');
    expect(calls(primary).find((call) => call.operation === 'get-replication-snapshot')!.args.snapshotId).toBe('');
    const attach = calls(replica).find((call) => call.operation === 'attach-replica')!;
    expect(attach.args.snapshot.extra.map((kv: { key: string }) => kv.key)).toEqual(['guest']);
  });

  it('a replication snapshot is never a user\'s backup: not listed, shown, deleted or restored from, even while it is taken', async () => {
    const primary = (await create({ name: 'held', datastore: { type: 'replicas' } })).id;
    expect((await settled(primary)).status).toBe('ACTIVE');
    writeFileSync(volume(primary, 'hold-snapshot'), 'yes');
    const replica = (await create({ name: 'held-replica', replica_of: primary })).id;
    const taking = await waitFor(async () => calls(primary).find((call) => call.operation === 'get-replication-snapshot'), (call) => call !== undefined, 'the snapshot to be taken', 60_000);
    const snapshotId = taking!.args.snapshotId as string;
    expect(await server.store.backups.get('acme', snapshotId)).toMatchObject({ state: 'BUILDING', instanceId: primary });
    expect((await api('GET', '/backups')).body.backups.map((b: { id: string }) => b.id)).not.toContain(snapshotId);
    expect((await api('GET', `/instances/${primary}/backups`)).body.backups).toEqual([]);
    expect((await api('GET', `/backups/${snapshotId}`)).body.error.code).toBe('BERTH_ERR_BACKUP_NOT_FOUND');
    expect((await api('DELETE', `/backups/${snapshotId}`)).body.error.code).toBe('BERTH_ERR_BACKUP_NOT_FOUND');
    const restored = await api('POST', '/instances', { instance: { name: 'from-snapshot', datastore: { type: 'backups' }, restorePoint: { backupRef: snapshotId } } });
    expect(restored.body.error.code).toBe('BERTH_ERR_BACKUP_NOT_FOUND');
    rmSync(volume(primary, 'hold-snapshot'));
    expect((await settled(replica)).status).toBe('ACTIVE');
    expect(await server.store.backups.get('acme', snapshotId)).toMatchObject({ state: 'DELETED' });
  });

  it('a replica whose seeding fails shows ERROR with BERTH_ERR_REPLICATION_FAILED and stays so', async () => {
    const primary = (await api('GET', '/instances')).body.instances.find((i: { name: string }) => i.name === 'streamed').id as string;
    writeFileSync(volume(primary, 'refuse-replicas'), 'yes');
    const created = await create({ name: 'doomed', replica_of: primary });
    const shown = await settled(created.id);
    expect(shown.status).toBe('ERROR');
    expect(shown.fault.message).toMatch(/^BERTH_ERR_REPLICATION_FAILED: seeding from/);
    expect(shown.fault.message).toContain('asked to refuse replicas');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await show(created.id)).status).toBe('ERROR');
  });

  it('detaches a replica whose source is down: answered without waiting for the source, which drops the replica once it is back', async () => {
    const primary = (await create({ name: 'frozen-source', datastore: { type: 'replicas' } })).id;
    expect((await settled(primary)).status).toBe('ACTIVE');
    const replica = (await create({ name: 'frozen-source-replica', replica_of: primary })).id;
    expect((await settled(replica)).status).toBe('ACTIVE');
    const pid = server.provisioner!.pidOf(primary)!;
    process.kill(pid, 'SIGSTOP');
    try {
      await waitFor(() => show(primary), (instance) => instance.status === 'ERROR', 'the silent source to show ERROR', 20_000);
      // the source's enable-as-master is best effort: the detach does not wait up to slow_call for a guest that is gone
      expect((await api('PUT', `/instances/${replica}`, { instance: { replica_of: null } })).status).toBe(202);
      expect((await show(replica)).replica_of).toBeUndefined();
      expect(role(replica)).toMatchObject({ role: 'standalone', readOnly: false });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor(async () => (existsSync(volume(primary, 'role.json')) ? role(primary) : {}), (r) => r.replicas === '', 'the returned source to drop the detached replica', 20_000);
  }, 30_000);
});
