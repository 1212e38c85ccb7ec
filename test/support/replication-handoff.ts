import { randomBytes } from 'node:crypto';
import type { StoredBackup } from './redis-guest.js';

// What the server does between a primary's get-replication-snapshot and a replica's attach-replica
// (docs/replication.md), for tests and benches that play the server against real guest hosts.

export type KeyValue = { key: string; value: string };
export interface Snapshot {
  snapshotId: string;
  logPosition: string;
  source: { host: string; port: number; user: string; password: string; extra: KeyValue[] };
  datasetSize: bigint;
  extra: KeyValue[];
}

/** A replica-name as the server makes it: berth_ and the instance id's 32 hex digits. */
export const replicaName = () => `berth_${randomBytes(16).toString('hex')}`;

export const replicaSettings = (name: string): KeyValue[] => [
  { key: 'replica-name', value: name },
  { key: 'replica-host', value: '127.0.0.1' },
];

/**
 * Fill in the primary's endpoint and name the artifact's size and sha256
 * (the host checks the download against them); an empty snapshot-id (a
 * re-point, or Redis) carries no artifact.
 */
export function forReplica(snapshot: Snapshot, primary: { port: number }, artifacts: Map<string, StoredBackup>): Snapshot {
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
