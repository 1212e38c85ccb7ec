import type { Redis } from 'ioredis';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { redisDatastore } from '../../../server/registry/builtin-datastores.js';
import { requireDatastorePrograms } from '../../reliability/support/datastore-cases.js';
import { waitFor } from '../../support/server.js';
import { withRedis } from '../../support/redis-client.js';
import { countedWrites, troveReplicaSuite } from '../../support/trove-replicas.js';

// Redis replicas through the unmodified openstack CLI against real guest hosts and redis-servers:
// create with --replica-of, replica_of/replicas in show, a write on the source read on the replica, detach.
requireDatastorePrograms();
const { versions: _versions, ...redis } = redisDatastore('7', '/usr/bin/redis-server', { path: '/placeholder', sha256: '0'.repeat(64) }) as { versions: unknown };
const suite = troveReplicaSuite({
  name: 'trove-redis-replicas',
  managers: { redis: { entry: join(PACKAGE_ROOT, 'datastores', 'redis', 'manager.ts') } },
  datastores: [{ ...redis, versions: [{ name: '7', manager: 'redis' }] } as never],
});

/** The pid of the redis-server behind a port, as it reports it. */
const redisPidOf = (client: Redis) => client.info('server').then((info) => Number(/^process_id:(\d+)/m.exec(info)![1]));
const writeOutcome = (client: Redis) => client.set('probe', '1').then(() => 'written', (error: Error) => error.message);
const api = (method: string, path: string, body?: unknown) => suite.api(method, path, body);

describe('redis replicas through the openstack CLI', { timeout: 300_000 }, () => {
  it('creates a replica with --replica-of that follows the source, shows replica_of/replicas, and detaches', async () => {
    const source = await suite.clients.openstackJson(['database', 'instance', 'create', 'cache', '--flavor', '1', '--size', '1', '--datastore', 'redis', '--datastore-version', '7']);
    await suite.active(source.id);
    const replica = await suite.clients.openstackJson(['database', 'instance', 'create', 'cache-replica', '--replica-of', source.id, '--size', '1']);
    const shown = await suite.active(replica.id);
    const osc = await suite.clients.openstackJson(['database', 'instance', 'show', replica.id]);
    expect(osc.replica_of).toBe(source.id);
    expect((await suite.clients.openstackJson(['database', 'instance', 'show', source.id])).replicas).toBe(replica.id);
    // a source holds a write lease (server/instances/write-leases.ts): its host acknowledged one
    await waitFor(async () => suite.setup.server.leases.expiredAt(source.id), (at) => at !== undefined && at > Date.now(), 'the source\'s write lease', 30_000, 200);
    expect(suite.setup.server.leases.expiredAt(replica.id)).toBeUndefined();

    const sourcePort = (await api('GET', `/instances/${source.id}`)).body.instance.port as number;
    const sourceRoot = (await api('POST', `/instances/${source.id}/root`)).body.user.password as string;
    const replicaRoot = (await api('POST', `/instances/${replica.id}/root`)).body.user.password as string;
    await withRedis(sourcePort, sourceRoot, (client) => client.set('order:1', 'paid'));
    await waitFor(() => withRedis(shown.port, replicaRoot, (client) => client.get('order:1')), (value) => value === 'paid', 'the write on the replica', 20_000, 200);
    expect(await withRedis(shown.port, replicaRoot, (client) => client.set('x', '1').then(() => 'written', (error: Error) => error.message))).toMatch(/READONLY/);

    await suite.clients.openstackOk(['database', 'instance', 'detach', replica.id]);
    expect((await api('GET', `/instances/${replica.id}`)).body.instance.replica_of).toBeUndefined();
    // a source no more: its lease is released, and it keeps taking writes
    await waitFor(async () => suite.setup.server.leases.expiredAt(source.id), (at) => at === undefined, 'the source\'s lease released', 30_000, 200);
    expect(await withRedis(sourcePort, sourceRoot, writeOutcome)).toBe('written');
    await waitFor(() => withRedis(shown.port, replicaRoot, (client) => client.set('x', '1').then(() => 'written', (error: Error) => error.message)), (v) => v === 'written', 'the detached replica to take writes', 20_000, 200);
  });

  it('promotes a replica with openstack database instance promote under a counted write load: no acknowledged write lost, the old source follows', async () => {
    const instances = (await api('GET', '/instances')).body.instances as Array<{ id: string; name: string; port: number }>;
    const source = instances.find((i) => i.name === 'cache')!;
    const replica = await suite.clients.openstackJson(['database', 'instance', 'create', 'cache-second', '--replica-of', source.id, '--size', '1']);
    const shown = await suite.active(replica.id);
    const sourceRoot = (await api('POST', `/instances/${source.id}/root`)).body.user.password as string;
    const replicaRoot = (await api('POST', `/instances/${replica.id}/root`)).body.user.password as string;
    const { acknowledged, refused } = await withRedis(source.port, sourceRoot, async (client) => {
      const load = countedWrites(async (key) => void (await client.set(`k:${key}`, String(key))));
      const promoted = (async () => {
        await waitFor(async () => load.progress(), (p) => p.acknowledged >= 200, 'writes on the source before the promotion', 30_000, 20);
        await suite.clients.openstackOk(['database', 'instance', 'promote', replica.id]);
        // the old source, now a replica, refuses the load's next writes
        const before = load.progress().refused;
        await waitFor(async () => load.progress(), (p) => p.refused > before, 'a write refused after the promotion', 30_000, 20);
      })();
      // the load ends whether or not the promotion did
      const failure = await promoted.then(() => undefined, (error: unknown) => error ?? new Error('the promotion failed'));
      const counts = await load.stop();
      if (failure) throw failure;
      return counts;
    });
    expect((await api('GET', `/instances/${replica.id}`)).body.instance.replica_of).toBeUndefined();
    expect((await api('GET', `/instances/${source.id}`)).body.instance.replica_of.id).toBe(replica.id);
    const kept = await withRedis(shown.port, replicaRoot, async (client) => (await client.mget(...acknowledged.map((key) => `k:${key}`))).filter((v) => v !== null).length);
    process.stdout.write(`redis promote: ${acknowledged.length} writes acknowledged by the source, ${kept} on the new primary, ${refused.length} refused\n`);
    expect(acknowledged.length).toBeGreaterThanOrEqual(200);
    expect(kept).toBe(acknowledged.length);
    await withRedis(shown.port, replicaRoot, (client) => client.set('after', 'promotion'));
    await waitFor(() => withRedis(source.port, sourceRoot, (client) => client.get('after')), (v) => v === 'promotion', 'the old source to follow', 20_000, 200);
  });

  it('ejects a frozen source with trove eject-replica-source: the replica takes writes, the source is fenced and refuses writes when it returns', async () => {
    const source = await suite.clients.openstackJson(['database', 'instance', 'create', 'orders', '--flavor', '1', '--size', '1', '--datastore', 'redis', '--datastore-version', '7']);
    await suite.active(source.id);
    const replica = await suite.clients.openstackJson(['database', 'instance', 'create', 'orders-replica', '--replica-of', source.id, '--size', '1']);
    const shown = await suite.active(replica.id);
    const sourcePort = (await api('GET', `/instances/${source.id}`)).body.instance.port as number;
    const sourceRoot = (await api('POST', `/instances/${source.id}/root`)).body.user.password as string;
    const replicaRoot = (await api('POST', `/instances/${replica.id}/root`)).body.user.password as string;
    let acknowledged = 0;
    await withRedis(sourcePort, sourceRoot, async (client) => {
      for (let i = 0; i < 300; i++) if ((await client.set(`o:${i}`, String(i))) === 'OK') acknowledged++;
    });

    // the source's machine is gone: its host and its redis-server stop dead (no heartbeat, no replication)
    const hostPid = suite.setup.server.provisioner!.pidOf(source.id)!;
    const redisPid = await withRedis(sourcePort, sourceRoot, redisPidOf);
    process.kill(hostPid, 'SIGSTOP');
    process.kill(redisPid, 'SIGSTOP');
    try {
      await waitFor(() => api('GET', `/instances/${source.id}`), (r) => r.body.instance.status === 'ERROR', 'the silent source to show ERROR', 60_000, 500);
      await suite.clients.troveOk(['eject-replica-source', source.id]);
      const promoted = (await api('GET', `/instances/${replica.id}`)).body.instance;
      expect(promoted.replica_of).toBeUndefined();
      const fenced = (await api('GET', `/instances/${source.id}`)).body.instance;
      expect([fenced.status, fenced.replica_of?.id]).toEqual(['ERROR', replica.id]);
      expect(fenced.fault.message).toMatch(/^BERTH_ERR_REPLICA_FENCED/);
      expect(await withRedis(shown.port, replicaRoot, writeOutcome)).toBe('written');
      // asynchronous replication: what the replica had applied when the source froze (reported, not hidden)
      const kept = await withRedis(shown.port, replicaRoot, async (client) => (await client.mget(...Array.from({ length: 300 }, (_, i) => `o:${i}`))).filter((v) => v !== null).length);
      process.stdout.write(`eject: ${acknowledged} writes acknowledged by the source, ${kept} on the new primary, ${acknowledged - kept} lost\n`);
      expect(kept).toBeLessThanOrEqual(acknowledged);
    } finally {
      process.kill(redisPid, 'SIGCONT');
      process.kill(hostPid, 'SIGCONT');
    }
    // back from the freeze, the old source refuses writes: never a second primary
    await waitFor(() => withRedis(sourcePort, sourceRoot, writeOutcome), (outcome) => outcome !== 'written', 'the returned source to refuse writes', 60_000, 500);
    expect(await withRedis(sourcePort, sourceRoot, writeOutcome)).toMatch(/NOREPLICAS|READONLY/);
  });
});
