import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { redisDatastore } from '../../../server/registry/builtin-datastores.js';
import { requireDatastorePrograms } from '../../reliability/support/datastore-cases.js';
import { apiRequest, prepareTestServer, waitFor, type TestServer, type TestServerSetup } from '../../support/server.js';
import { withRedis } from '../../support/redis-client.js';

// Automatic failover (docs/replication.md, "Automatic failover") with real guest hosts and
// redis-servers: kill -9 of a primary's host and datastore under a write load, the primary returning
// during the failover, the server restarted in the middle, auto_failover off, and a replica that still
// reaches its source. Timings and lost writes are printed, never asserted.
requireDatastorePrograms();
const { versions: _versions, ...redis } = redisDatastore('7', '/usr/bin/redis-server', { path: '/placeholder', sha256: '0'.repeat(64) }) as { versions: unknown };
const TOKEN = 'acme-token-for-the-redis-failovers';
let setup: TestServerSetup;
let server: TestServer;

type Shown = { id: string; port: number; status: string; replica_of?: { id: string }; fault?: { message: string }; berth_auto_failover?: boolean };
const api = (method: string, path: string, body?: unknown) => apiRequest(server.url, TOKEN, method, `/v1.0/acme${path}`, body);
const show = async (id: string): Promise<Shown> => (await api('GET', `/instances/${id}`)).body.instance;
/** A write's outcome: "written", or the Redis error code (the reply's first word), or "down" when nothing answers. */
const writeOutcome = (port: number, password: string, key = 'probe') =>
  withRedis(port, password, (client) => client.set(key, '1').then(() => 'written', (error: Error) => error.message.split(' ')[0]!)).catch(() => 'down');
const redisPidOf = (client: Redis) => client.info('server').then((info) => Number(/^process_id:(\d+)/m.exec(info)![1]));
const FENCED = 'BERTH_ERR_REPLICA_FENCED';

interface Group {
  source: Shown;
  replicas: Shown[];
  /** Root password of each instance. */
  root: Record<string, string>;
}

/** A source and `count` replicas, ACTIVE, each with root enabled. */
async function group(name: string, version: string, count: number): Promise<Group> {
  const created = await api('POST', '/instances', { instance: { name, datastore: { type: 'redis', version } } });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const source = (await waitFor(() => show(created.body.instance.id), (i) => i.status !== 'BUILD', `${name} to leave BUILD`, 180_000, 500));
  expect(source.status, JSON.stringify(source.fault)).toBe('ACTIVE');
  const made = await api('POST', '/instances', { instance: { name: `${name}-r`, replica_of: source.id, replica_count: count } });
  expect(made.status, JSON.stringify(made.body)).toBe(200);
  const listed = ((await api('GET', '/instances')).body.instances as Array<{ id: string; name: string }>).filter((i) => i.name.startsWith(`${name}-r`));
  const replicas: Shown[] = [];
  for (const { id } of listed) {
    const replica = await waitFor(() => show(id), (i) => i.status !== 'BUILD', `replica ${id} to leave BUILD`, 180_000, 500);
    expect(replica.status, JSON.stringify(replica.fault)).toBe('ACTIVE');
    replicas.push(replica);
  }
  const root: Record<string, string> = {};
  for (const instance of [source, ...replicas]) root[instance.id] = (await api('POST', `/instances/${instance.id}/root`)).body.user.password as string;
  return { source, replicas, root };
}

/** Deletes a group's instances, followers first (a source with replicas is refused). */
async function drop(ids: string[]): Promise<void> {
  let left = [...ids];
  for (let round = 0; round < 4 && left.length > 0; round++) {
    const refused: string[] = [];
    for (const id of left) if ((await api('DELETE', `/instances/${id}`)).status === 409) refused.push(id);
    left = refused;
  }
}

const signal = (pids: number[], name: NodeJS.Signals) => pids.forEach((pid) => process.kill(pid, name));
const hostPid = (id: string) => server.provisioner!.pidOf(id)!;
const failoverOf = (id: string) => server.store.failovers.get(id);

beforeAll(async () => {
  setup = await prepareTestServer({
    name: 'redis-failover',
    projects: { acme: TOKEN },
    managers: { redis: { entry: join(PACKAGE_ROOT, 'datastores', 'redis', 'manager.ts') } },
    timeouts: { report_interval: 1, heartbeat_expiry: 4, quick_call: 5, slow_call: 120 },
    datastores: [
      {
        ...redis,
        versions: [
          { name: '7', manager: 'redis', server: { auto_failover: true } },
          { name: '7-manual', manager: 'redis' },
        ],
      } as never,
    ],
  });
  server = await setup.start();
}, 300_000);
afterAll(() => setup?.cleanup(), 120_000);

describe('automatic failover of redis sources', { timeout: 300_000 }, () => {
  it('kill -9 of the primary\'s host and redis-server under a write load: a replica takes writes, the other follows it, the returned primary is fenced', async () => {
    const { source, replicas, root } = await group('orders', '7', 2);
    let acknowledged = 0;
    let stopped = false;
    const writer = withRedis(source.port, root[source.id], async (client) => {
      for (let i = 0; !stopped; i++) {
        if ((await client.set(`w:${i}`, String(i)).catch(() => undefined)) !== 'OK') return;
        acknowledged = i + 1;
      }
    }).catch(() => undefined);
    await waitFor(async () => acknowledged, (n) => n >= 500, 'the writer to get going', 30_000, 20);
    const redisPid = await withRedis(source.port, root[source.id]!, redisPidOf);
    server.provisioner!.holdRestarts(source.id, true);
    const killedAt = Date.now();
    signal([hostPid(source.id), redisPid], 'SIGKILL');
    await writer;
    stopped = true;

    // the first replica to take a write is the new primary
    const taken = await waitFor(
      async () => (await Promise.all(replicas.map(async (r) => ((await writeOutcome(r.port, root[r.id]!, 'after:failover')) === 'written' ? r : undefined)))).find(Boolean),
      (r) => r !== undefined,
      'a replica to take writes',
      120_000,
      100,
    );
    const writableAfterMs = Date.now() - killedAt;
    const primary = taken!;
    const other = replicas.find((r) => r.id !== primary.id)!;
    const keys = Array.from({ length: acknowledged }, (_, i) => `w:${i}`);
    const kept = await withRedis(primary.port, root[primary.id], async (client) => (await client.mget(...keys)).filter((v) => v !== null).length);
    process.stdout.write(`failover: new primary took writes ${writableAfterMs} ms after kill -9; ${acknowledged} writes acknowledged, ${kept} on the new primary, ${acknowledged - kept} lost (asynchronous replication)\n`);
    expect(kept).toBeLessThanOrEqual(acknowledged);

    const fenced = await show(source.id);
    expect([fenced.status, fenced.replica_of?.id, fenced.fault?.message.split(':')[0]]).toEqual(['ERROR', primary.id, FENCED]);
    expect((await show(primary.id)).replica_of).toBeUndefined();
    // the new primary takes writes once promoted; the other replica is re-pointed after that
    await waitFor(() => failoverOf(source.id), (f) => f?.step === 'done', 'the failover to complete', 60_000, 200);
    expect((await show(other.id)).replica_of?.id).toBe(primary.id);
    await withRedis(primary.port, root[primary.id], (client) => client.set('followed', 'yes'));
    await waitFor(() => withRedis(other.port, root[other.id], (client) => client.get('followed')), (v) => v === 'yes', 'the other replica to follow the new primary', 30_000, 200);
    expect(await writeOutcome(other.port, root[other.id]!)).toBe('READONLY');

    // the old primary's machine comes back: host and redis-server (the host's autostart); it never takes writes as a second primary for long
    server.provisioner!.holdRestarts(source.id, false);
    const refusal = await waitFor(() => writeOutcome(source.port, root[source.id]!), (o) => o !== 'written' && o !== 'down', 'the returned primary to refuse writes', 120_000, 200);
    expect(['NOREPLICAS', 'READONLY']).toContain(refusal);
    const after = await show(source.id);
    expect([after.status, after.replica_of?.id, after.fault?.message.split(':')[0]]).toEqual(['ERROR', primary.id, FENCED]);
    expect(await writeOutcome(primary.port, root[primary.id]!)).toBe('written');
    await drop([source.id, other.id, primary.id]);
  });

  it('a primary that returns during the failover (before the promotion) is fenced; the failover then completes', async () => {
    const { source, replicas, root } = await group('returns', '7', 1);
    const replica = replicas[0]!;
    const redisPid = await withRedis(source.port, root[source.id]!, redisPidOf);
    // the source's machine stops dead, and the replica's host stops answering: fenced first, promoted later
    const frozenSource = [hostPid(source.id), redisPid];
    signal([...frozenSource, hostPid(replica.id)], 'SIGSTOP');
    try {
      await waitFor(() => show(source.id), (i) => i.fault?.message.startsWith(FENCED) === true, 'the silent source to be fenced', 60_000, 200);
      signal(frozenSource, 'SIGCONT');
      const refusal = await waitFor(() => writeOutcome(source.port, root[source.id]!), (o) => o !== 'written' && o !== 'down', 'the returned source to refuse writes', 60_000, 200);
      expect(['NOREPLICAS', 'READONLY']).toContain(refusal);
      // nothing was promoted yet: the replica's host has not answered
      expect((await failoverOf(source.id))?.step).not.toBe('done');
      expect((await show(replica.id)).replica_of?.id).toBe(source.id);
      // one failover per group at a time: an operator's eject waits for this one
      const eject = await api('POST', `/instances/${source.id}/action`, { eject_replica_source: {} });
      expect([eject.status, eject.body.error?.code]).toEqual([409, 'BERTH_ERR_INSTANCE_STATE']);
    } finally {
      signal([...frozenSource, hostPid(replica.id)], 'SIGCONT');
    }
    await waitFor(() => failoverOf(source.id), (f) => f?.step === 'done', 'the failover to complete', 120_000, 200);
    expect((await show(replica.id)).replica_of).toBeUndefined();
    expect((await show(source.id)).replica_of?.id).toBe(replica.id);
    expect(await writeOutcome(replica.port, root[replica.id]!)).toBe('written');
    expect(['NOREPLICAS', 'READONLY']).toContain(await writeOutcome(source.port, root[source.id]!));
    await drop([source.id, replica.id]);
  });

  it('a server restarted in the middle of a failover completes it: one primary', async () => {
    const { source, replicas, root } = await group('restarted', '7', 1);
    const replica = replicas[0]!;
    const redisPid = await withRedis(source.port, root[source.id]!, redisPidOf);
    const frozen = [hostPid(source.id), redisPid, hostPid(replica.id)];
    signal(frozen, 'SIGSTOP');
    try {
      await waitFor(() => show(source.id), (i) => i.fault?.message.startsWith(FENCED) === true, 'the silent source to be fenced', 60_000, 200);
      expect((await failoverOf(source.id))?.step).not.toBe('done');
      const listen = new URL(server.url);
      await server.close();
      setup.config.server.listen = `${listen.hostname}:${listen.port}`;
    } finally {
      signal(frozen, 'SIGCONT');
    }
    server = await setup.start();
    await waitFor(() => failoverOf(source.id), (f) => f?.step === 'done', 'the resumed failover to complete', 120_000, 200);
    expect((await show(replica.id)).replica_of).toBeUndefined();
    const old = await show(source.id);
    expect([old.status, old.replica_of?.id, old.fault?.message.split(':')[0]]).toEqual(['ERROR', replica.id, FENCED]);
    expect(await writeOutcome(replica.port, root[replica.id]!)).toBe('written');
    const refusal = await waitFor(() => writeOutcome(source.port, root[source.id]!), (o) => o !== 'written' && o !== 'down', 'the old source to refuse writes', 60_000, 200);
    expect(['NOREPLICAS', 'READONLY']).toContain(refusal);
    await drop([source.id, replica.id]);
  });

  it('with auto_failover off, a gone source shows ERROR and its replica stays a replica; berth_auto_failover on the instance turns it on', async () => {
    const { source, replicas, root } = await group('manual', '7-manual', 1);
    const replica = replicas[0]!;
    expect((await show(source.id)).berth_auto_failover).toBeUndefined();
    const redisPid = await withRedis(source.port, root[source.id]!, redisPidOf);
    server.provisioner!.holdRestarts(source.id, true);
    signal([hostPid(source.id), redisPid], 'SIGKILL');
    const silent = await waitFor(() => show(source.id), (i) => i.status === 'ERROR', 'the gone source to show ERROR', 60_000, 200);
    expect(silent.fault?.message.startsWith(FENCED)).toBe(false);
    // a few of the failover's sweeps (one a report interval)
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(await failoverOf(source.id)).toBeUndefined();
    expect((await show(replica.id)).replica_of?.id).toBe(source.id);
    expect(await writeOutcome(replica.port, root[replica.id]!)).toBe('READONLY');

    const refused = await api('PATCH', `/instances/${source.id}`, { instance: { berth_auto_failover: 'yes' } });
    expect([refused.status, refused.body.error?.code]).toEqual([400, 'BERTH_ERR_VALIDATION']);
    expect((await api('PATCH', `/instances/${source.id}`, { instance: { berth_auto_failover: true } })).status).toBe(202);
    expect((await show(source.id)).berth_auto_failover).toBe(true);
    await waitFor(() => failoverOf(source.id), (f) => f?.step === 'done', 'the failover the override allows', 60_000, 200);
    expect((await show(replica.id)).replica_of).toBeUndefined();
    expect(await writeOutcome(replica.port, root[replica.id]!)).toBe('written');
    await drop([source.id, replica.id]);
  });

  it('a replica that still reaches its source prevents the failover (the source cut off from the server only)', async () => {
    const { source, replicas, root } = await group('cut', '7', 1);
    const replica = replicas[0]!;
    // the source's host stops: no heartbeats, but its redis-server still serves the replica (and its clients)
    signal([hostPid(source.id)], 'SIGSTOP');
    try {
      await waitFor(() => show(source.id), (i) => i.status === 'ERROR', 'the silent source to show ERROR', 60_000, 200);
      await new Promise((resolve) => setTimeout(resolve, 5000));
      expect(await failoverOf(source.id)).toBeUndefined();
      const shown = await show(source.id);
      expect(shown.fault?.message.startsWith(FENCED)).toBe(false);
      expect((await show(replica.id)).replica_of?.id).toBe(source.id);
      expect(await writeOutcome(source.port, root[source.id]!)).toBe('written');
    } finally {
      signal([hostPid(source.id)], 'SIGCONT');
    }
    await waitFor(() => show(source.id), (i) => i.status === 'ACTIVE', 'the source to be ACTIVE again', 60_000, 200);
    await drop([replica.id, source.id]);
  });
});
