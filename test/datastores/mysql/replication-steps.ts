import { randomBytes } from 'node:crypto';
import { OPERATION_ARGUMENTS } from '../../../server/conformance/operation-arguments.js';
import type { StoredBackup } from '../../support/redis-guest.js';
import type { CallOutcome, MysqlGuest } from './guests.js';
import { connect } from './support.js';

type KeyValue = { key: string; value: string };
export interface Snapshot {
  snapshotId: string;
  logPosition: string;
  source: { host: string; port: number; user: string; password: string; extra: KeyValue[] };
  datasetSize: bigint;
  extra: KeyValue[];
}

const wire = (_key: string, value: unknown) => (typeof value === 'bigint' ? String(value) : value);

/** The call's value; its error, with the end of the host's log, otherwise. */
export function ok<T = unknown>(outcome: CallOutcome, what: string, guest: MysqlGuest): T {
  if ('err' in outcome) throw new Error(`${what} on ${guest.id} failed: ${JSON.stringify(outcome.err, wire)}\n${guest.log().slice(-3000)}`);
  return outcome.ok as T;
}

export const prepareRequest = (fields: Record<string, unknown>) => ({ ...(OPERATION_ARGUMENTS.prepare[0] as Record<string, unknown>), ...fields });

/** A replica-name as the server makes it: berth_ and the instance id's 32 hex digits. */
export const replicaName = () => `berth_${randomBytes(16).toString('hex')}`;

export const replicaSettings = (name: string): KeyValue[] => [
  { key: 'replica-name', value: name },
  { key: 'replica-host', value: '127.0.0.1' },
];

/**
 * What the server does between the two calls: fill in the primary's endpoint
 * and name the artifact's size and sha256 (the host checks the download against them).
 */
export function forReplica(snapshot: Snapshot, primary: MysqlGuest, artifacts: Map<string, StoredBackup>): Snapshot {
  const stored = snapshot.snapshotId === '' ? undefined : artifacts.get(snapshot.snapshotId);
  if (snapshot.snapshotId !== '' && !stored) throw new Error(`no artifact ${snapshot.snapshotId} was uploaded`);
  const checks = stored
    ? [
        { key: 'berth-artifact-size', value: String(stored.data.length) },
        { key: 'berth-artifact-sha256', value: stored.sha256 },
      ]
    : [];
  return { ...snapshot, source: { ...snapshot.source, host: '127.0.0.1', port: primary.port }, extra: [...snapshot.extra, ...checks] };
}

/** get-replication-snapshot on the primary, then attach-replica on the replica, as the server sends them. */
export async function attach(primary: MysqlGuest, replica: MysqlGuest, name: string, snapshotId: string, artifacts: Map<string, StoredBackup>): Promise<Snapshot> {
  const snapshot = ok<Snapshot>(await primary.call('get-replication-snapshot', [snapshotId, replicaSettings(name)], 300_000), 'get-replication-snapshot', primary);
  const sent = forReplica(snapshot, primary, artifacts);
  ok(await replica.call('attach-replica', [sent, replicaSettings(name)], 300_000), 'attach-replica', replica);
  return snapshot;
}

/** The primary's latest transaction, waited for on the replica. */
export async function caughtUp(primary: MysqlGuest, replica: MysqlGuest): Promise<string> {
  const latest = ok<string>(await primary.call('get-latest-txn-id'), 'get-latest-txn-id', primary);
  ok(await replica.call('wait-for-txn', [latest, 30], 60_000), 'wait-for-txn', replica);
  return latest;
}

/** One query's rows as a client logged in as `user` sees them (`database` '' for none). */
export async function rowsOf<T>(port: number, user: { name: string; password: string }, sql: string, database = 'shop'): Promise<T[]> {
  const client = await connect(port, user.name, user.password, database || undefined);
  try {
    return (await client.query(sql))[0] as T[];
  } finally {
    await client.end();
  }
}

/** The error code a statement fails with ('' when it succeeds). */
export async function refusedWith(port: number, user: { name: string; password: string }, sql: string, database = 'shop'): Promise<string> {
  const client = await connect(port, user.name, user.password, database || undefined);
  try {
    await client.query(sql);
    return '';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.end();
  }
}
