import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { camelName, interfaceOf, type OperationName } from '../datastores/sdk/operations.js';
import type { ReplicationSource } from './capabilities/redis-command-policy.js';
import { replicationGrantChange } from './sandbox/replication-grant.js';
import { replaceStateFile } from './state-file.js';

/**
 * The source this guest follows, as the server's latest attach-replica named
 * it (the same rule as the sandbox's replication grant, replication-grant.ts),
 * kept by the host in its state directory, which no grant reaches: a
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
    // by the sandbox's export names, as the worker applies the same rule (sandbox.ts)
    const change = replicationGrantChange(camelName(interfaceOf(operation)), camelName(operation), args);
    if (!change) return;
    this.source = change.grant;
    replaceStateFile(this.file, `${JSON.stringify(this.source ?? null)}\n`);
  }
}
