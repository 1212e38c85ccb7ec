import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../../datastores/errors/catalogue.js';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { redisDatastore } from '../../../server/registry/builtin-datastores.js';
import { requireDatastorePrograms } from '../../reliability/support/datastore-cases.js';
import { berthProcess, errorOf, type CliResult } from '../../support/cli.js';
import { withRedis } from '../../support/redis-client.js';
import { waitFor } from '../../support/server.js';
import { alive } from '../../support/redis-guest.js';
import { troveReplicaSuite } from '../../support/trove-replicas.js';

// `berth instance create --replica-of`, `berth replica list/promote/detach/eject --wait` against a real
// server, real guest hosts and redis-servers; every step checked with a Redis client.
requireDatastorePrograms();
const NAME = 'cli-redis-replicas';
const TOKEN = `acme-token-for-${NAME}`;
const { versions: _versions, ...redis } = redisDatastore('7', '/usr/bin/redis-server', { path: '/placeholder', sha256: '0'.repeat(64) }) as { versions: unknown };
const suite = troveReplicaSuite({
  name: NAME,
  managers: { redis: { entry: join(PACKAGE_ROOT, 'datastores', 'redis', 'manager.ts') } },
  datastores: [{ ...redis, versions: [{ name: '7', manager: 'redis' }] } as never],
  heartbeatExpiry: 10,
});

let home: string;
beforeAll(async () => void (home = await mkdtemp(join(tmpdir(), 'berth-replica-cli-home-'))));
afterAll(async () => rm(home, { recursive: true, force: true }));

const berth = (...args: string[]): Promise<CliResult> => berthProcess([...args, '--url', suite.setup.server.url, '--project', 'acme', '--token', TOKEN], { home });
const ok = async (...args: string[]): Promise<CliResult> => {
  const result = await berth(...args);
  expect(result.code, `berth ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
  return result;
};
const json = async (...args: string[]) => JSON.parse((await ok(...args, '--json')).stdout);
function expectFailure(result: CliResult, code: keyof typeof ERRORS): { message: string; fix?: string } {
  const error = errorOf(result);
  expect(error.code, result.stderr).toBe(code);
  expect(result.code).toBe(ERRORS[code].exitCode);
  return error;
}
const view = async (ref: string) => (await json('instance', 'show', ref)).instance;
const rootOf = async (ref: string) => (await json('root', 'enable', ref)).user.password as string;
const writeOutcome = (port: number, password: string) => withRedis(port, password, (client) => client.set('probe', '1').then(() => 'written', (error: Error) => error.message));

describe('berth replica commands (real CLI processes, a real server, real guest hosts and redis-servers)', { timeout: 300_000 }, () => {
  const ids: Record<string, string> = {};

  it('refuses bad replication flags with the catalogue codes, naming the flag', async () => {
    const orphanCount = expectFailure(await berth('instance', 'create', 'x', '--datastore', 'redis', '--replica-count', '2', '--json'), 'BERTH_ERR_USAGE');
    expect([orphanCount.message, orphanCount.fix]).toEqual([expect.stringContaining('--replica-count'), expect.stringContaining('--replica-of')]);
    expect(expectFailure(await berth('instance', 'create', 'x', '--replica-of', 'ghost', '--json'), 'BERTH_ERR_INSTANCE_NOT_FOUND').message).toContain('--replica-of ghost');
    expect(expectFailure(await berth('instance', 'create', 'x', '--replica-of', 'ghost', '--replica-count', '11', '--json'), 'BERTH_ERR_USAGE').message).toContain('--replica-count 11');
    expect(expectFailure(await berth('replica', 'promote', 'ghost', '--json'), 'BERTH_ERR_INSTANCE_NOT_FOUND').message).toContain('ghost');
    // a human reads the code and the fix
    const human = await berth('instance', 'create', 'x', '--datastore', 'redis', '--replica-count', '2');
    expect([human.code, human.stderr]).toEqual([2, expect.stringContaining('BERTH_ERR_USAGE')]);
  });

  it('creates a replica with --replica-of <name> --wait; list, show and replica list show the link; a write on the source is read on the replica', async () => {
    ids.cache = (await json('instance', 'create', 'cache', '--datastore', 'redis', '--version', '7', '--auto-failover', 'off', '--wait')).instance.id;
    const created = await json('instance', 'create', 'cache-replica', '--replica-of', 'cache', '--wait');
    ids.replica = created.instance.id;
    expect(created.instance).toMatchObject({ status: 'ACTIVE', replica_of: { id: ids.cache } });

    const source = await view('cache');
    expect([source.replicas.map((r: { id: string }) => r.id), source.berth_auto_failover]).toEqual([[ids.replica], false]);
    const shown = (await ok('instance', 'show', 'cache-replica')).stdout;
    expect(shown).toMatch(new RegExp(`^replica of\\s+${ids.cache}$`, 'm'));
    expect((await ok('instance', 'show', 'cache')).stdout).toMatch(new RegExp(`^replicas\\s+${ids.replica}$`, 'm'));
    const lines = (await ok('instance', 'list')).stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+STATUS\s+DATASTORE\s+VERSION\s+REPLICA OF$/);
    expect(lines.find((line) => line.startsWith(ids.replica!))!.split(/\s{2,}/)).toEqual([ids.replica, 'cache-replica', 'ACTIVE', 'redis', '7', 'cache']);
    const listed = (await ok('replica', 'list', 'cache')).stdout.trimEnd().split('\n');
    expect(listed.slice(1).map((line) => line.split(/\s{2,}/).slice(0, 3))).toEqual([[ids.replica, 'cache-replica', 'ACTIVE']]);
    expect((await json('replica', 'list', 'cache')).instances.map((i: { id: string }) => i.id)).toEqual([ids.replica]);

    const replica = await view('cache-replica');
    await withRedis(source.port, await rootOf('cache'), (client) => client.set('order:1', 'paid'));
    const replicaRoot = await rootOf('cache-replica');
    await waitFor(() => withRedis(replica.port, replicaRoot, (client) => client.get('order:1')), (value) => value === 'paid', 'the write on the replica', 20_000, 200);
    expect(await writeOutcome(replica.port, replicaRoot)).toMatch(/READONLY/);
  });

  it('promotes the replica with --wait: it is the source and takes writes, the old source follows it', async () => {
    const promoted = await ok('replica', 'promote', 'cache-replica', '--wait');
    expect(promoted.stdout).toContain('promoted instance cache-replica');
    const [primary, old] = [await view('cache-replica'), await view('cache')];
    expect([primary.status, primary.replica_of, old.status, old.replica_of?.id]).toEqual(['ACTIVE', undefined, 'ACTIVE', ids.replica]);
    await withRedis(primary.port, await rootOf('cache-replica'), (client) => client.set('after', 'promotion'));
    const oldRoot = await rootOf('cache');
    await waitFor(() => withRedis(old.port, oldRoot, (client) => client.get('after')), (value) => value === 'promotion', 'the old source to follow', 20_000, 200);
    // promote asks for a replica
    expect(expectFailure(await berth('replica', 'promote', 'cache-replica', '--json'), 'BERTH_ERR_REPLICATION_ROLE').message).toContain('no replica');
  });

  it('detaches the old source with --wait: standalone, ACTIVE, it takes writes', async () => {
    const detached = await json('replica', 'detach', 'cache', '--wait');
    expect(detached.instances[0]).toMatchObject({ id: ids.cache, status: 'ACTIVE' });
    expect(detached.instances[0].replica_of).toBeUndefined();
    const cache = await view('cache');
    expect(cache.replica_of).toBeUndefined();
    const root = await rootOf('cache');
    await waitFor(() => writeOutcome(cache.port, root), (outcome) => outcome === 'written', 'the detached instance to take writes', 20_000, 200);
  });

  it('ejects a source whose host was killed with --wait: one of its two replicas leads, the other follows, the source is fenced', async () => {
    const spares = await json('instance', 'create', 'spare', '--replica-of', ids.replica!, '--replica-count', '2', '--wait');
    expect([spares.instance.name, spares.replicas.map((r: { name: string; status: string }) => `${r.name} ${r.status}`)]).toEqual(['spare-1', ['spare-2 ACTIVE']]);
    // healthy: the server refuses the eject
    expectFailure(await berth('replica', 'eject', 'cache-replica', '--json'), 'BERTH_ERR_INSTANCE_STATE');
    // the automatic failover on and off again: the eject below is the operator's
    expect((await json('instance', 'update', 'cache-replica', '--auto-failover', 'on')).instance.berth_auto_failover).toBe(true);
    expect((await json('instance', 'update', 'cache-replica', '--auto-failover', 'off')).instance.berth_auto_failover).toBe(false);

    const source = await view('cache-replica');
    await withRedis(source.port, await rootOf('cache-replica'), (client) => client.set('before', 'eject'));
    for (const spare of ['spare-1', 'spare-2']) {
      const [port, root] = [(await view(spare)).port, await rootOf(spare)];
      await waitFor(() => withRedis(port, root, (client) => client.get('before')), (value) => value === 'eject', `the write on ${spare}`, 20_000, 200);
    }
    // the source's machine is gone: its host and redis-server get SIGKILL, and its host is not restarted
    const redisPid = await withRedis(source.port, await rootOf('cache-replica'), (client) => client.info('server').then((info) => Number(/^process_id:(\d+)/m.exec(info)![1])));
    const provisioner = suite.setup.server.provisioner!;
    const hostPid = provisioner.pidOf(ids.replica!)!;
    provisioner.holdRestarts(ids.replica!, true);
    for (const pid of [hostPid, redisPid]) process.kill(pid, 'SIGKILL');
    await waitFor(async () => [hostPid, redisPid].filter(alive), (left) => left.length === 0, 'the killed processes to die', 10_000, 50);
    await waitFor(() => view('cache-replica'), (v) => v.status === 'ERROR', 'the lost source to show ERROR', 60_000, 500);
    const ejected = await ok('replica', 'eject', 'cache-replica', '--wait');
    expect(ejected.stdout).toMatch(/is the source now/);

    const fenced = await view('cache-replica');
    const spareViews = [await view('spare-1'), await view('spare-2')];
    const leader = spareViews.find((v) => v.replica_of === undefined)!;
    const follower = spareViews.find((v) => v !== leader)!;
    expect([fenced.status, fenced.replica_of?.id, fenced.fault.message]).toEqual(['ERROR', leader.id, expect.stringMatching(/^BERTH_ERR_REPLICA_FENCED/)]);
    expect([leader.status, follower.status, follower.replica_of?.id]).toEqual(['ACTIVE', 'ACTIVE', leader.id]);
    const leaderRoot = await rootOf(leader.id);
    expect(await writeOutcome(leader.port, leaderRoot)).toBe('written');
    await withRedis(leader.port, leaderRoot, (client) => client.set('after', 'eject'));
    const followerRoot = await rootOf(follower.id);
    await waitFor(() => withRedis(follower.port, followerRoot, (client) => client.mget('before', 'after')), (values) => values[0] === 'eject' && values[1] === 'eject', 'the follower to follow the new source', 20_000, 200);
  });
});
