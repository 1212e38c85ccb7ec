import { describe, expect, it } from 'vitest';
import { waitFor } from '../../support/server.js';
import { countedWrites, killGuestMachine, killHostFreezeDatastore, troveReplicaSuite } from '../../support/trove-replicas.js';
import type { ReplicatedStore } from './sql-replication.js';

/**
 * Automatic failover (docs/replication.md, "Automatic failover") of one SQL
 * datastore (PostgreSQL, MariaDB) with real guest hosts and real datastore
 * servers: a source cut off from the server only is not failed over; kill -9
 * of the source's host and datastore under a counted write load is; so is a
 * source whose host is gone and whose datastore is frozen (it accepts TCP and
 * never answers). Each time the re-pointed replica follows the new primary
 * and the old primary, once back, refuses writes. Timings and lost writes
 * are printed, never asserted.
 */
export interface SqlFailoverOptions {
  name: string;
  manager: { entry: string };
  /** The datastore without versions: the suite adds one with auto_failover on. */
  datastore: Record<string, unknown>;
  store: ReplicatedStore;
}

interface Shown {
  id: string;
  name: string;
  port: number;
  status: string;
  replica_of?: { id: string };
  fault?: { message: string };
}

const FENCED = 'BERTH_ERR_REPLICA_FENCED';
/** The code a write carries: 'written' when it was not refused. */
const outcome = (write: Promise<void>) => write.then(() => 'written', (error: { code?: unknown }) => String(error.code));

export function troveSqlFailover(options: SqlFailoverOptions): void {
  const { store } = options;
  const datastore = { ...options.datastore, versions: [{ name: store.version, manager: store.type, server: { auto_failover: true } }] };
  // heartbeats every second, expired after 6 s; the write lease is half that. A failover promotes once the
  // old source's lease has run out plus quick_call (the host's make-read-only, the clocks' rates): 5 s here,
  // as in the Redis failover suite, not the default 15
  const suite = troveReplicaSuite({ name: options.name, managers: { [store.type]: options.manager }, datastores: [datastore as never], heartbeatExpiry: 6, quickCall: 5 });
  const show = async (id: string): Promise<Shown> => (await suite.api('GET', `/instances/${id}`)).body.instance;
  const failoverOf = (id: string) => suite.setup.server.store.failovers.get(id);
  const reads = (port: number, id: number, note: string, what: string) => waitFor(() => store.noteOf(port, id).catch(() => undefined), (value) => value === note, what, 60_000, 200);
  const state = { source: undefined as unknown as Shown, replicas: [] as Shown[], primary: undefined as unknown as Shown, other: undefined as unknown as Shown };

  /** When (ms after `since`) the source first showed ERROR, and each failover step was first on record: polled, for the printed breakdown. */
  function watchPhases(sourceId: string, since: number): { stop(): string } {
    const seen: Record<string, number> = {};
    let watching = true;
    const note = (phase: string) => (seen[phase] ??= Date.now() - since);
    void (async () => {
      // ends by itself if the test failed before stopping it
      while (watching && Date.now() - since < 300_000) {
        const [shown, record] = await Promise.all([show(sourceId).catch(() => undefined), failoverOf(sourceId).catch(() => undefined)]);
        if (shown?.status === 'ERROR') note('ERROR');
        if (record) note(record.step);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    return {
      stop() {
        watching = false;
        return Object.entries(seen).map(([phase, at]) => `${phase} ${at}`).join(', ');
      },
    };
  }

  /** The first of `replicas` to take a write (row `id`), polled; how long that took from `since`. */
  async function firstWritable(replicas: Shown[], id: number, since: number): Promise<{ primary: Shown; afterMs: number }> {
    const taken = await waitFor(
      async () => {
        for (const replica of replicas) if ((await outcome(store.insert(replica.port, id, 'after the failover'))) === 'written') return replica;
        return undefined;
      },
      (replica) => replica !== undefined,
      'a replica to take writes',
      180_000,
      100,
    );
    return { primary: taken!, afterMs: Date.now() - since };
  }

  /** The failed-over source's machine comes back (host restarted, datastore brought back): it refuses writes, fenced, a replica of `primary` on record. */
  async function returnsFenced(old: Shown, primary: Shown, firstKey: number): Promise<void> {
    suite.setup.server.provisioner!.holdRestarts(old.id, false);
    let key = firstKey;
    const written: number[] = [];
    const refusal = await waitFor(
      async () => {
        const got = await outcome(store.insert(old.port, ++key, 'on the old primary'));
        if (got === 'written') written.push(key);
        return got;
      },
      (got) => got === store.readOnlyCode,
      'the returned old primary to refuse writes',
      180_000,
      200,
    );
    process.stdout.write(`${store.type} failover: the returned old primary refused writes (${refusal}); it took ${written.length} before that\n`);
    const after = await show(old.id);
    expect([after.status, after.replica_of?.id, after.fault?.message.split(':')[0]]).toEqual(['ERROR', primary.id, FENCED]);
  }

  describe(`automatic failover of ${store.type} sources`, { timeout: 420_000 }, () => {
    it('a source cut off from the server only (its host stopped, its datastore serving) is not failed over: its replicas still get its answer', async () => {
      const { user, password, database } = store.user;
      const created = await suite.api('POST', '/instances', { instance: { name: 'ledger', datastore: { type: store.type, version: store.version }, databases: [{ name: database }], users: [{ name: user, password, databases: [{ name: database }] }] } });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      state.source = await suite.active(created.body.instance.id);
      await store.createTable(state.source.port);
      await store.insert(state.source.port, 1, 'before the replicas');
      const made = await suite.api('POST', '/instances', { instance: { name: 'ledger-r', replica_of: state.source.id, replica_count: 2 } });
      expect(made.status, JSON.stringify(made.body)).toBe(200);
      const listed = ((await suite.api('GET', '/instances')).body.instances as Array<{ id: string; name: string }>).filter((i) => i.name.startsWith('ledger-r'));
      expect(listed).toHaveLength(2);
      for (const { id } of listed) state.replicas.push(await suite.active(id));
      for (const replica of state.replicas) await reads(replica.port, 1, 'before the replicas', `the source's row on ${replica.name}`);

      const hostPid = suite.setup.server.provisioner!.pidOf(state.source.id)!;
      process.kill(hostPid, 'SIGSTOP');
      try {
        await waitFor(() => show(state.source.id), (i) => i.status === 'ERROR', 'the silent source to show ERROR', 60_000, 200);
        // a few of the failover's sweeps (one a report interval), each asking the replicas' hosts
        await new Promise((resolve) => setTimeout(resolve, 5000));
        expect(await failoverOf(state.source.id)).toBeUndefined();
        // what the replicas' hosts answer (their probe: the datastore's own first exchange)
        for (const replica of state.replicas) expect((await suite.setup.server.hub.sourceReachable(replica.id, 2000))?.reachable).toBe(true);
        expect((await show(state.source.id)).fault?.message.startsWith(FENCED)).toBe(false);
        for (const replica of state.replicas) expect((await show(replica.id)).replica_of?.id).toBe(state.source.id);
      } finally {
        process.kill(hostPid, 'SIGCONT');
      }
      await waitFor(() => show(state.source.id), (i) => i.status === 'ACTIVE', 'the source to be ACTIVE again', 60_000, 200);
      // its lease lapsed while the host was stopped; renewed, the source takes writes again
      await waitFor(() => outcome(store.insert(state.source.port, 2, 'after the cut')), (got) => got === 'written', 'the source to take writes again', 60_000, 200);
    });

    it('kill -9 of the source\'s host and datastore under a counted write load: a replica takes writes, the other follows it, the returned source is fenced', async () => {
      const { source, replicas } = state;
      const writer = store.openWriter(source.port);
      const load = countedWrites((key) => writer.write(1000 + key));
      await waitFor(async () => load.progress(), (p) => p.acknowledged >= 200, 'the write load to get going', 60_000, 20);
      const killedAt = Date.now();
      const phases = watchPhases(source.id, killedAt);
      await killGuestMachine(suite.setup, source.id);
      const { acknowledged } = await load.stop();
      await writer.close();

      const { primary, afterMs } = await firstWritable(replicas, 7, killedAt);
      process.stdout.write(`${store.type} failover: ms after the kill the source showed ERROR, and each step was on record: ${phases.stop()}\n`);
      const other = replicas.find((r) => r.id !== primary.id)!;
      const kept = await store.countOf(primary.port, acknowledged.map((key) => 1000 + key));
      process.stdout.write(`${store.type} failover: kill -9 to the new primary's first write ${afterMs} ms; ${acknowledged.length} writes acknowledged, ${kept} on the new primary, ${acknowledged.length - kept} lost (asynchronous replication)\n`);
      expect(kept).toBeLessThanOrEqual(acknowledged.length);

      // the records swap after enable-as-master, which may be after the first write the new primary takes
      await waitFor(() => failoverOf(source.id), (f) => f?.step === 'done', 'the failover to complete', 120_000, 200);
      const fenced = await show(source.id);
      expect([fenced.status, fenced.replica_of?.id, fenced.fault?.message.split(':')[0]]).toEqual(['ERROR', primary.id, FENCED]);
      expect((await show(primary.id)).replica_of).toBeUndefined();
      expect((await show(other.id)).replica_of?.id).toBe(primary.id);
      await store.insert(primary.port, 8, 'on the new primary');
      await reads(other.port, 8, 'on the new primary', 'the new primary\'s row on the re-pointed replica');
      expect(await outcome(store.insert(other.port, 100, 'on the re-pointed replica'))).toBe(store.readOnlyCode);

      await returnsFenced(source, primary, 200_000);
      expect(await outcome(store.insert(primary.port, 9, 'still the primary'))).toBe('written');
      // the old source is not re-seeded (docs/replication.md); it goes, so the next failover has one candidate
      expect((await suite.api('DELETE', `/instances/${source.id}`)).status).toBe(202);
      await waitFor(async () => (await suite.api('GET', `/instances/${source.id}`)).status, (status) => status === 404, 'the old source to be deleted', 120_000, 500);
      state.primary = primary;
      state.other = other;
    });

    it('a source whose host is gone and whose datastore is frozen (it accepts TCP, never answers) is failed over', async () => {
      const { primary, other } = state;
      const since = Date.now();
      const phases = watchPhases(primary.id, since);
      const thaw = await killHostFreezeDatastore(suite.setup, primary.id);
      try {
        // the frozen datastore's kernel still completes the handshake; its host's probe wants the datastore's answer.
        // (A TCP connect alone answered true here until the frozen server's accept queue filled: 87 s for MariaDB.)
        expect((await suite.setup.server.hub.sourceReachable(other.id, 2000))?.reachable).toBe(false);
        const { primary: next, afterMs } = await firstWritable([other], 10, since);
        process.stdout.write(`${store.type} failover: host killed, datastore frozen, to the new primary's first write ${afterMs} ms (${phases.stop()})\n`);
        expect(next.id).toBe(other.id);
        await waitFor(() => failoverOf(primary.id), (f) => f?.step === 'done', 'the failover to complete', 120_000, 200);
        expect((await show(other.id)).replica_of).toBeUndefined();
        const fenced = await show(primary.id);
        expect([fenced.status, fenced.replica_of?.id, fenced.fault?.message.split(':')[0]]).toEqual(['ERROR', other.id, FENCED]);
      } finally {
        thaw();
      }
      await returnsFenced(primary, other, 300_000);
      expect(await outcome(store.insert(other.port, 11, 'the primary now'))).toBe('written');
    });
  });
}
