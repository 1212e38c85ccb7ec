import { describe, expect, it } from 'vitest';
import { waitFor } from '../../support/server.js';
import { countedWrites, freezeDatastore, killGuestMachine, troveReplicaSuite } from '../../support/trove-replicas.js';

/**
 * One SQL datastore's replicas (PostgreSQL, MariaDB) through the unmodified
 * Trove clients against a real server, real guest hosts and real datastore
 * servers: create (`--replica-of`, `--replica-count 2`), show and list,
 * promote under a counted write load, eject after the source's machine is
 * killed, detach. Every step is checked in the datastores themselves, as
 * the instance's own user with an ordinary driver.
 */
export interface ReplicatedStore {
  type: string;
  version: string;
  /** The user (and its database) the source is created with, which its replicas' copies carry. */
  user: { user: string; password: string; database: string };
  /** The code (the driver error's `code`) a write on a read-only replica is refused with. */
  readOnlyCode: string;
  createTable(port: number): Promise<void>;
  insert(port: number, id: number, note: string): Promise<void>;
  /** Rows `from`..`from + count - 1`, about 2 KB each, in few statements: a long stream for a replica to fall behind on. */
  insertMany(port: number, from: number, count: number): Promise<void>;
  noteOf(port: number, id: number): Promise<string | undefined>;
  /** How many of the rows `ids` are there. */
  countOf(port: number, ids: readonly number[]): Promise<number>;
  /** On a replica: how far it has applied its source's stream, as the manager's positions count. */
  position(port: number): Promise<bigint>;
  /** One client session that inserts row `id`, reconnecting after the server ended it. */
  openWriter(port: number): { write(id: number): Promise<void>; close(): Promise<void> };
}

export interface SqlReplicationOptions {
  name: string;
  manager: { entry: string };
  datastore: unknown;
  store: ReplicatedStore;
  /** Which client ejects (both are Trove's): the trove CLI's eject-replica-source or openstack's instance eject. */
  eject: 'trove' | 'openstack';
  /** Which client promotes: openstack's instance promote or troveclient's promote_to_replica_source. */
  promote: 'openstack' | 'library';
  /** Which client detaches: openstack's instance detach or troveclient's instances.update(detach_replica_source). */
  detach: 'openstack' | 'library';
}

interface Shown {
  id: string;
  name: string;
  port: number;
}

/** The code a rejected write carries; 'written' when it was not refused. */
const BULK_FROM = 10_000;
const BULK_ROWS = 24_000;

const refusal = (write: Promise<void>) => write.then(() => 'written', (error: { code?: unknown }) => String(error.code));

export function troveSqlReplication(options: SqlReplicationOptions): void {
  const { store } = options;
  const suite = troveReplicaSuite({ name: options.name, managers: { [store.type]: options.manager }, datastores: [options.datastore as never], heartbeatExpiry: 10 });
  const state = { source: undefined as unknown as Shown, replicas: [] as Shown[], primary: undefined as unknown as Shown, followers: [] as Shown[] };
  const show = async (id: string) => (await suite.api('GET', `/instances/${id}`)).body.instance;
  const reads = (port: number, id: number, note: string, what: string) => waitFor(() => store.noteOf(port, id).catch(() => undefined), (value) => value === note, what, 30_000, 200);

  describe(`${store.type} replicas through the Trove clients`, { timeout: 240_000 }, () => {
    it('creates two replicas with --replica-count 2 that follow the source; show and list (openstack, troveclient) say who follows whom; a replica refuses writes', async () => {
      const { clients } = suite;
      const { user, password, database } = store.user;
      const created = await clients.openstackJson(['database', 'instance', 'create', 'shop', '--flavor', '1', '--size', '1', '--datastore', store.type, '--datastore-version', store.version, '--databases', database, '--users', `${user}:${password}`]);
      state.source = await suite.active(created.id);
      await store.createTable(state.source.port);
      await store.insert(state.source.port, 1, 'before the replicas');

      const first = await clients.openstackJson(['database', 'instance', 'create', 'shop-replica', '--replica-of', created.id, '--replica-count', '2', '--size', '1']);
      const listed = (await clients.openstackJson<Array<Record<string, string>>>(['database', 'instance', 'list'])).filter((row) => row.Name!.startsWith('shop-replica-'));
      expect(listed.map((row) => row.Name).sort()).toEqual(['shop-replica-1', 'shop-replica-2']);
      expect(listed.map((row) => row.ID)).toContain(first.id);
      for (const row of listed) state.replicas.push(await suite.active(row.ID!));
      state.replicas.sort((a, b) => a.name.localeCompare(b.name));

      for (const replica of state.replicas) expect((await clients.openstackJson(['database', 'instance', 'show', replica.id])).replica_of).toBe(created.id);
      const replicas = String((await clients.openstackJson(['database', 'instance', 'show', created.id])).replicas).split(', ');
      expect(replicas.sort()).toEqual(state.replicas.map((r) => r.id).sort());
      const library = (await clients.libraryOk('instances.list')) as Array<{ id: string; replica_of?: { id: string }; replicas?: Array<{ id: string }> }>;
      for (const replica of state.replicas) expect(library.find((i) => i.id === replica.id)?.replica_of?.id).toBe(created.id);
      expect(library.find((i) => i.id === created.id)?.replicas?.map((r) => r.id).sort()).toEqual(state.replicas.map((r) => r.id).sort());
      const roles = Object.fromEntries((await clients.openstackJson<Array<Record<string, string>>>(['database', 'instance', 'list'])).map((row) => [row.ID, row.Role]));
      expect([state.source, ...state.replicas].map((i) => roles[i.id])).toEqual(['primary', 'replica', 'replica']);

      await store.insert(state.source.port, 2, 'after the replicas');
      for (const replica of state.replicas) {
        expect(await store.noteOf(replica.port, 1)).toBe('before the replicas');
        await reads(replica.port, 2, 'after the replicas', `the source's write on ${replica.name}`);
        expect(await refusal(store.insert(replica.port, 100, 'on a replica'))).toBe(store.readOnlyCode);
      }
    });

    it('promotes a replica under a counted write load on the source: no acknowledged write lost; the old source and the other replica follow it', async () => {
      const { clients } = suite;
      const [candidate, other] = state.replicas as [Shown, Shown];
      const writer = store.openWriter(state.source.port);
      const load = countedWrites((key) => writer.write(1000 + key));
      const promoted = (async () => {
        await waitFor(async () => load.progress(), (p) => p.acknowledged >= 50, 'writes on the source before the promotion', 30_000, 20);
        if (options.promote === 'openstack') await clients.openstackOk(['database', 'instance', 'promote', candidate.id]);
        else await clients.libraryOk('instances.promote_to_replica_source', [candidate.id]);
        // the old source, now a replica, refuses the load's next writes
        const before = load.progress().refused;
        await waitFor(async () => load.progress(), (p) => p.refused > before, 'a write refused after the promotion', 30_000, 20);
      })();
      // the load ends whether or not the promotion did
      const failure = await promoted.then(() => undefined, (error: unknown) => error ?? new Error('the promotion failed'));
      const { acknowledged, refused } = await load.stop();
      await writer.close();
      if (failure) throw failure;
      const kept = await store.countOf(candidate.port, acknowledged.map((key) => 1000 + key));
      process.stdout.write(`${store.type} promote: ${acknowledged.length} writes acknowledged by the source, ${kept} on the new primary, ${refused.length} refused (${[...new Set(refused)].join(', ')})\n`);
      expect(acknowledged.length).toBeGreaterThanOrEqual(50);
      expect(kept).toBe(acknowledged.length);

      expect((await show(candidate.id)).replica_of).toBeUndefined();
      expect((await show(state.source.id)).replica_of?.id).toBe(candidate.id);
      expect((await show(other.id)).replica_of?.id).toBe(candidate.id);
      expect(String((await clients.openstackJson(['database', 'instance', 'show', candidate.id])).replicas).split(', ').sort()).toEqual([state.source.id, other.id].sort());
      await store.insert(candidate.port, 3, 'after the promotion');
      for (const follower of [state.source, other]) {
        await reads(follower.port, 3, 'after the promotion', `the new primary's write on ${follower.name}`);
        expect(await refusal(store.insert(follower.port, 101, 'on a follower'))).toBe(store.readOnlyCode);
      }
      state.primary = candidate;
      state.followers = [state.source, other];
    });

    it(`ejects a source whose guest host and datastore were killed -9 (${options.eject}): the most advanced replica becomes the source, the other follows it from where it was`, async () => {
      const { clients, setup } = suite;
      const { primary } = state;
      const [ahead, behind] = state.followers as [Shown, Shown];
      await store.insert(primary.port, 4, 'before the loss');
      for (const follower of [ahead, behind]) await reads(follower.port, 4, 'before the loss', `the write before the loss on ${follower.name}`);

      // `behind` is frozen while the source writes ~45 MB more (beyond what the sockets between them buffer), then the source's machine is lost
      const bulk = Array.from({ length: BULK_ROWS }, (_, i) => BULK_FROM + i);
      const thaw = freezeDatastore(behind.id);
      try {
        await store.insertMany(primary.port, BULK_FROM, BULK_ROWS);
        await waitFor(() => store.countOf(ahead.port, bulk), (n) => n === BULK_ROWS, `the bulk rows on ${ahead.name}`, 60_000, 500);
        await killGuestMachine(setup, primary.id);
      } finally {
        thaw();
      }
      await waitFor(() => show(primary.id), (i) => i.status === 'ERROR', 'the lost source to show ERROR', 60_000, 500);
      const positions = await Promise.all([ahead, behind].map((follower) => store.position(follower.port)));
      process.stdout.write(`${store.type} eject: ${ahead.name} at ${positions[0]}, ${behind.name} at ${positions[1]}\n`);
      expect(positions[1]).toBeLessThan(positions[0]!);
      if (options.eject === 'trove') await clients.troveOk(['eject-replica-source', primary.id]);
      else await clients.openstackOk(['database', 'instance', 'eject', primary.id]);

      // the most advanced replica is the source now; the other follows it
      expect((await show(ahead.id)).replica_of).toBeUndefined();
      expect((await show(behind.id)).replica_of?.id).toBe(ahead.id);
      const fenced = await show(primary.id);
      expect([fenced.status, fenced.replica_of?.id]).toEqual(['ERROR', ahead.id]);
      expect(fenced.fault.message).toMatch(/^BERTH_ERR_REPLICA_FENCED/);

      // the re-pointed replica gets from the new source what it had missed, then the new source's writes
      await waitFor(() => store.countOf(behind.port, bulk).catch(() => -1), (n) => n === BULK_ROWS, `the bulk rows on ${behind.name} from the new source`, 60_000, 500);
      await store.insert(ahead.port, 5, 'on the new source');
      await reads(behind.port, 5, 'on the new source', 'the new source\'s write on the other replica');
      expect(await refusal(store.insert(behind.port, 102, 'on the re-pointed replica'))).toBe(store.readOnlyCode);
      state.primary = ahead;
      state.followers = [behind];
    });

    it(`detaches the remaining replica (${options.detach}): standalone and read-write, with the data it had`, async () => {
      const { clients } = suite;
      const [replica] = state.followers as [Shown];
      if (options.detach === 'openstack') await clients.openstackOk(['database', 'instance', 'detach', replica.id]);
      else await clients.libraryOk('instances.update', [replica.id], { detach_replica_source: true });
      expect((await show(replica.id)).replica_of).toBeUndefined();
      expect((await show(state.primary.id)).replicas?.map((r: { id: string }) => r.id) ?? []).not.toContain(replica.id);
      expect(await store.noteOf(replica.port, 5)).toBe('on the new source');
      await waitFor(() => refusal(store.insert(replica.port, 6, 'standalone')), (outcome) => outcome === 'written', 'the detached replica to take a write', 30_000, 200);
      expect(await store.noteOf(replica.port, 6)).toBe('standalone');
    });
  });
}
