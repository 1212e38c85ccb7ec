/**
 * Replication between two real guests per datastore (issue 18): seeding a
 * replica with BENCH_SEED_MB (100) of data, replica lag under a steady
 * write load, a switchover, and an eject after the primary was killed.
 * Each datastore runs as two real `berth host` processes with the built
 * manager and private servers on free ports (bench/replication-targets.ts);
 * the bench plays the server over the hub, calling the operations in the
 * order server/instances/replication.ts does.
 *
 * - seeding: get-replication-snapshot (the artifact uploaded to the hub's
 *   store) + attach-replica, until the replica counts the primary's rows.
 * - lag: a writer at BENCH_WRITE_RATE (200) writes a second for
 *   BENCH_LOAD_SECONDS (20) on the primary; a poller reads the replica's
 *   highest entry every BENCH_POLL_MS (2); lag is first read on the replica
 *   minus acknowledged on the primary, for every write (not the datastore's
 *   own lag figure).
 * - switchover (promote): make-read-only, get-latest-txn-id, wait-for-txn,
 *   detach-replica(true), enable-as-master; the writer moves to the new
 *   primary; then demote-replication-master on the old one and its re-point.
 *   Timed from the first step to the new primary's first acknowledged write;
 *   every acknowledged write is looked for on the new primary.
 * - eject: the primary's host and datastore SIGKILLed under the same load,
 *   then get-last-txn, detach-replica(true), enable-as-master on the
 *   replica; timed from the eject's start to its first acknowledged write.
 *   The server's wait for the heartbeat expiry before an eject is not in it.
 *
 * `npm run bench:replication`; BENCH_DATASTORES=postgresql (or mysql, redis)
 * for one (it is heavy: one at a time is how BENCHMARKS.md's figures were
 * taken); BENCH_JSON=<file> writes the figures as JSON.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { killEverything } from '../test/reliability/support/kill-instance.js';
import { forReplica, replicaName, replicaSettings, type Snapshot } from '../test/support/replication-handoff.js';
import { lagFigures, lostWrites, type LagFigures } from './replication-stats.js';
import { ledger, TARGETS, type BenchGuest, type Cleanups, type Ledger, type ReplicationTarget } from './replication-targets.js';
import { Poller, Writer } from './replication-writer.js';
import { loadLine, machineLine, sleep } from './support.js';

const SEED_MB = Number(process.env.BENCH_SEED_MB ?? 100);
const WRITE_RATE = Number(process.env.BENCH_WRITE_RATE ?? 200);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 20);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 2);
/** What the server gives wait-for-txn at a switchover: half its slow-call timeout (180 s by default). */
const CATCH_UP_SECONDS = 90;
const MIB = 1024 * 1024;

interface Figures {
  datastore: string;
  seed: { mb: number; datastoreBytes: number; rows: number; artifactBytes: number; snapshotMs: number; attachMs: number; totalMs: number };
  lag: LagFigures & { rateAsked: number; rateReached: number; seconds: number; failures: number };
  switchover: { toWritesMs: number; steps: Record<string, number>; writeGapMs: number; acknowledged: number; lost: number; failedWrites: number; repointMs: number; reseeded: boolean; oldPrimaryCaughtUp: boolean };
  eject: { toWritesMs: number; steps: Record<string, number>; killToWritesMs: number; acknowledgedBeforeKill: number; lostInFailover: number };
  automaticFailover: string;
  load: { before: string; after: string };
}

/** Whether a socket listens on the TCP port (/proc/net/tcp and tcp6, state 0A). */
function listening(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].some((table) =>
    readFileSync(table, 'utf8')
      .split('\n')
      .slice(1)
      .some((line) => {
        const [, local, , state] = line.trim().split(/\s+/);
        return local?.endsWith(`:${hex}`) && state === '0A';
      }),
  );
}

const wire = (_key: string, value: unknown) => (typeof value === 'bigint' ? String(value) : value);

async function ok<T = unknown>(guest: BenchGuest, operation: Parameters<BenchGuest['call']>[0], args: unknown[] = [], deadlineMs = 300_000): Promise<T> {
  const outcome = await guest.call(operation, args, deadlineMs);
  if ('err' in outcome) throw new Error(`${operation} failed: ${JSON.stringify(outcome.err, wire)}`);
  return outcome.ok as T;
}

/** Runs the steps in order, each timed (ms). */
async function timed(steps: Record<string, number>, name: string, work: () => Promise<unknown>): Promise<void> {
  const started = performance.now();
  await work();
  steps[name] = performance.now() - started;
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function benchTarget(target: ReplicationTarget): Promise<Figures> {
  const cleanups: Cleanups = [];
  const ledgers: Ledger[] = [];
  const ledgerOf = async (guest: BenchGuest) => {
    const opened = ledger(target, guest.port);
    ledgers.push(opened);
    return opened;
  };
  const loadBefore = loadLine();
  try {
    const { guests, artifacts } = await target.start(cleanups, Math.max(512, SEED_MB * 4));
    const [a, b] = guests;
    const names = { a: replicaName(), b: replicaName() };

    // seeding
    const datastoreBytes = await target.data.load(a.port, SEED_MB);
    const rows = await target.data.verify(a.port);
    const seedId = (await ok<boolean>(a, 'backup-required-for-replication')) ? 'seed-1' : '';
    let started = performance.now();
    const snapshot = await ok<Snapshot>(a, 'get-replication-snapshot', [seedId, replicaSettings(names.b)]);
    const snapshotMs = performance.now() - started;
    await ok(b, 'attach-replica', [forReplica({ ...snapshot, snapshotId: seedId }, a, artifacts), replicaSettings(names.b)]);
    const attachMs = performance.now() - started - snapshotMs;
    await until(async () => (await target.data.verify(b.port)) === rows, 'the replica to hold every row', 600_000);
    const seed = { mb: SEED_MB, datastoreBytes, rows, artifactBytes: artifacts.get(seedId)?.data.length ?? 0, snapshotMs, attachMs, totalMs: performance.now() - started };
    artifacts.clear();

    // lag under a steady load
    await target.createLedger(a.port);
    const onA = await ledgerOf(a);
    const onB = await ledgerOf(b);
    await until(async () => (await onB.highest()) === 0, 'the ledger on the replica', 60_000);
    const poller = new Poller(onB, POLL_MS);
    const lagWriter = new Writer(onA, WRITE_RATE);
    started = performance.now();
    await sleep(LOAD_SECONDS * 1000);
    const lastLagWrite = await lagWriter.stop();
    const loadMs = performance.now() - started;
    await poller.reach(lagWriter.last(), 30_000);
    await poller.stop();
    const acknowledgedAt = new Map([...lagWriter.acknowledged].map(([n, ack]) => [n, ack.at]));
    const lag = { ...lagFigures(acknowledgedAt, poller.seen), rateAsked: WRITE_RATE, rateReached: lagWriter.acknowledged.size / (loadMs / 1000), seconds: loadMs / 1000, failures: lagWriter.failures };

    // switchover, as the server's promote orders it; the writer keeps writing throughout
    const writer = new Writer(onA, WRITE_RATE, lastLagWrite + 1);
    await sleep(1000);
    const steps: Record<string, number> = {};
    started = performance.now();
    await timed(steps, 'make-read-only', () => ok(a, 'make-read-only', [true]));
    let latest = '';
    await timed(steps, 'get-latest-txn-id', async () => (latest = await ok<string>(a, 'get-latest-txn-id')));
    await timed(steps, 'wait-for-txn', () => ok(b, 'wait-for-txn', [latest, CATCH_UP_SECONDS]));
    await timed(steps, 'detach-replica', () => ok(b, 'detach-replica', [true]));
    await timed(steps, 'enable-as-master', () => ok(b, 'enable-as-master', [[{ key: 'replicas', value: names.a }]]));
    writer.moveTo(onB);
    const firstOnB = await writer.firstAcknowledgement(onB, started);
    const lastOnA = Math.max(...writer.numbers(onA).map((n) => writer.acknowledged.get(n)!.at));
    let repointMs = performance.now();
    await ok(a, 'demote-replication-master');
    const repoint = await ok<Snapshot>(b, 'get-replication-snapshot', ['', replicaSettings(names.a)]);
    const repointed = await a.call('attach-replica', [forReplica(repoint, b, artifacts), replicaSettings(names.a)], 300_000);
    // diverged from the new primary: re-seeded from a snapshot, as the server's repoint does
    const reseeded = 'err' in repointed && (repointed.err as { tag?: string }).tag === 'invalid-argument';
    if (reseeded) {
      const reseedId = (await ok<boolean>(b, 'backup-required-for-replication')) ? 'reseed-1' : '';
      const reseed = await ok<Snapshot>(b, 'get-replication-snapshot', [reseedId, replicaSettings(names.a)]);
      await ok(a, 'attach-replica', [forReplica({ ...reseed, snapshotId: reseedId }, b, artifacts), replicaSettings(names.a)]);
    } else if ('err' in repointed) throw new Error(`attach-replica (re-point) failed: ${JSON.stringify(repointed.err, wire)}`);
    repointMs = performance.now() - repointMs;
    await sleep(1000);
    const lastSwitchoverWrite = await writer.stop();
    const present = await onB.all();
    const acknowledged = writer.numbers();
    const onAAgain = await ledgerOf(a);
    const oldPrimaryCaughtUp = await until(async () => (await onAAgain.highest()) >= writer.last(), 'the old primary to follow', 60_000).then(() => true, () => false);
    const switchover = {
      toWritesMs: firstOnB - started,
      steps,
      writeGapMs: firstOnB - lastOnA,
      acknowledged: acknowledged.length,
      lost: lostWrites(acknowledged, present).length,
      failedWrites: writer.failures,
      repointMs,
      reseeded,
      oldPrimaryCaughtUp,
    };

    // eject: b (the primary now) is killed with its datastore under the load; a takes over
    const ejectWriter = new Writer(onB, WRITE_RATE, lastSwitchoverWrite + 1);
    await sleep(2000);
    const killedAt = performance.now();
    const killed = await killEverything(b.hostPid()!, b.dir);
    // a killed multi-threaded process shows as gone (its leader a zombie) a moment before its last thread closes its sockets
    await until(async () => !listening(b.port), `the killed primary's datastore (${killed.join(', ')}) to stop listening on ${b.port}`, 5000);
    const acknowledgedBeforeKill = ejectWriter.numbers(onB).length;
    const ejectSteps: Record<string, number> = {};
    started = performance.now();
    await timed(ejectSteps, 'get-last-txn', () => ok(a, 'get-last-txn'));
    await timed(ejectSteps, 'detach-replica', () => ok(a, 'detach-replica', [true]));
    await timed(ejectSteps, 'enable-as-master', () => ok(a, 'enable-as-master', [[{ key: 'replicas', value: '' }]]));
    ejectWriter.moveTo(onAAgain);
    const firstOnA = await ejectWriter.firstAcknowledgement(onAAgain, started);
    await ejectWriter.stop();
    const survived = await onAAgain.all();
    const eject = {
      toWritesMs: firstOnA - started,
      steps: ejectSteps,
      killToWritesMs: firstOnA - killedAt,
      acknowledgedBeforeKill,
      lostInFailover: lostWrites(ejectWriter.numbers(onB), survived).length,
    };
    return {
      datastore: target.name,
      seed,
      lag,
      switchover,
      eject,
      // automatic failover is the server's (server/instances/auto-failover.ts), and this bench plays the
      // server: its kill-to-writes figures come from the failover suites, which run a real server
      automaticFailover: 'see test/server/trove/{redis,postgresql,mysql}-failover.test.ts (BENCHMARKS.md "Automatic failover")',
      load: { before: loadBefore, after: loadLine() },
    };
  } finally {
    for (const ledger of ledgers) await ledger.close();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  }
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ms = (value: number) => `${value.toFixed(1)} ms`;

function table(results: readonly Figures[]): string {
  const row = (label: string, cell: (f: Figures) => string) => `| ${label} | ${results.map(cell).join(' | ')} |`;
  return [
    `| measure | ${results.map((f) => f.datastore).join(' | ')} |`,
    `|---|${results.map(() => '---|').join('')}`,
    row('seed: data (datastore size) / artifact', (f) => `${(f.seed.datastoreBytes / MIB).toFixed(0)} MiB (${f.seed.rows} rows or keys) / ${f.seed.artifactBytes ? `${(f.seed.artifactBytes / MIB).toFixed(0)} MiB` : 'none (own link)'}`),
    row('seed: get-replication-snapshot + attach-replica = until the replica holds it', (f) => `${s(f.seed.snapshotMs)} + ${s(f.seed.attachMs)} = ${s(f.seed.totalMs)}`),
    row('lag: writes/s asked / reached (failed)', (f) => `${f.lag.rateAsked} / ${f.lag.rateReached.toFixed(0)} (${f.lag.failures})`),
    row('lag: p50 / p99 / max', (f) => `${ms(f.lag.p50)} / ${ms(f.lag.p99)} / ${ms(f.lag.max)}`),
    row('lag: samples (seen before the ack / never seen)', (f) => `${f.lag.samples} (${f.lag.seenBeforeAck} / ${f.lag.neverSeen})`),
    row('switchover: start to the new primary\'s first write', (f) => s(f.switchover.toWritesMs)),
    row('switchover: steps', (f) => Object.entries(f.switchover.steps).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')),
    row('switchover: write gap (last ack on old, first on new)', (f) => s(f.switchover.writeGapMs)),
    row('switchover: acknowledged writes lost / acknowledged', (f) => `${f.switchover.lost} / ${f.switchover.acknowledged}`),
    row('switchover: old primary demoted and following (re-seeded?); caught up', (f) => `${s(f.switchover.repointMs)} (${f.switchover.reseeded ? 're-seeded: it had diverged' : 're-pointed'}); ${f.switchover.oldPrimaryCaughtUp ? 'yes' : 'NO'}`),
    row('eject (after SIGKILL): start to the new primary\'s first write', (f) => s(f.eject.toWritesMs)),
    row('eject: steps', (f) => Object.entries(f.eject.steps).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')),
    row('eject: kill to writes, eject issued at once (no heartbeat expiry)', (f) => s(f.eject.killToWritesMs)),
    row('eject: acknowledged writes lost (asynchronous replication)', (f) => `${f.eject.lostInFailover} of ${f.eject.acknowledgedBeforeKill}`),
    row('automatic failover: kill to writes', (f) => f.automaticFailover),
  ].join('\n');
}

const only = process.env.BENCH_DATASTORES?.split(',');
const results: Figures[] = [];
for (const target of TARGETS.filter((t) => !only || only.includes(t.name))) {
  process.stderr.write(`replication bench: ${target.name}...\n`);
  results.push(await benchTarget(target));
}
const json = JSON.stringify({ machine: machineLine(), seedMb: SEED_MB, writeRate: WRITE_RATE, loadSeconds: LOAD_SECONDS, pollMs: POLL_MS, results }, null, 2);
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, `${json}\n`);
process.stdout.write(`${machineLine()}\n${results.map((f) => `${f.datastore}: ${f.load.before} before, ${f.load.after} after`).join('\n')}\n\n${table(results)}\n\n${json}\n`);
