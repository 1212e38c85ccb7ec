import { OPERATION_ARGUMENTS } from '../../../server/conformance/operation-arguments.js';
import { forReplica, replicaSettings, type Snapshot } from '../../support/replication-handoff.js';
import type { StoredBackup } from '../../support/redis-guest.js';
import type { CallOutcome, MysqlGuest } from '../../support/mysql-guests.js';
import { connect } from './support.js';

export { forReplica, replicaName, replicaSettings, type Snapshot } from '../../support/replication-handoff.js';

const wire = (_key: string, value: unknown) => (typeof value === 'bigint' ? String(value) : value);

/** The call's value; its error, with the end of the host's log, otherwise. */
export function ok<T = unknown>(outcome: CallOutcome, what: string, guest: MysqlGuest): T {
  if ('err' in outcome) throw new Error(`${what} on ${guest.id} failed: ${JSON.stringify(outcome.err, wire)}\n${guest.log().slice(-3000)}`);
  return outcome.ok as T;
}

export const prepareRequest = (fields: Record<string, unknown>) => ({ ...(OPERATION_ARGUMENTS.prepare[0] as Record<string, unknown>), ...fields });

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
