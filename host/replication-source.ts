import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OperationName } from '../datastores/sdk/operations.js';
import type { ReplicationSource } from './capabilities/redis-command-policy.js';
import { replaceStateFile } from './state-file.js';
import { fieldsOf } from './validation/fields-of.js';

/** What a call does to the replication grant: a new one (or none), or undefined when it leaves it as it is. */
export type ReplicationGrantChange = { grant: ReplicationSource | undefined } | undefined;

/**
 * The server's calls decide which host a manager may make its datastore
 * follow (REPLICAOF, redis-command-policy.ts; redis-server's --replicaof,
 * exec-arguments.ts), never the manager: an attach-replica grants its
 * snapshot's source (a source without a host or a port grants none),
 * detach-replica and enable-as-master take the grant back (stopping is
 * REPLICAOF NO ONE, always allowed), and every other call leaves it.
 */
export function replicationGrantChange(operation: OperationName, args: readonly unknown[]): ReplicationGrantChange {
  if (operation === 'detach-replica' || operation === 'enable-as-master') return { grant: undefined };
  if (operation !== 'attach-replica') return undefined;
  const source = fieldsOf(fieldsOf(args[0])?.source);
  const host = source?.host;
  const port = source?.port;
  if (typeof host !== 'string' || host === '' || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return { grant: undefined };
  return { grant: { host, port } };
}

/**
 * The source this guest follows, as the server's latest attach-replica named
 * it (replicationGrantChange above), the one copy of the replication grant,
 * sent with every call to the sandbox, and kept by the host in its state directory, which no grant reaches: a
 * restarted host still knows it, and the manager cannot change it. The
 * server asks it whether the source is reachable before an automatic
 * failover (guest.source-reachable); the manager plays no part.
 */
export class ReplicationSourceRecord {
  private readonly file: string;
  private source: ReplicationSource | undefined;

  constructor(stateDir: string) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.file = join(stateDir, 'replication-source.json');
    this.source = this.read();
  }

  private read(): ReplicationSource | undefined {
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<ReplicationSource> | null;
      return typeof parsed?.host === 'string' && typeof parsed.port === 'number' ? { host: parsed.host, port: parsed.port } : undefined;
    } catch {
      return undefined;
    }
  }

  current(): ReplicationSource | undefined {
    return this.source;
  }

  /** As a call from the server arrives, before the manager runs it. */
  note(operation: OperationName, args: readonly unknown[]): void {
    const change = replicationGrantChange(operation, args);
    if (!change) return;
    this.source = change.grant;
    replaceStateFile(this.file, `${JSON.stringify(this.source ?? null)}\n`);
  }
}
