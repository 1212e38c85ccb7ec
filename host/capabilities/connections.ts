import type * as Connections from '../generated/interfaces/berth-datastore-connections.js';
import type { CapabilityError } from '../generated/interfaces/berth-datastore-types.js';
import type { ConnectionGrant } from '../config/guest-config.js';
import { DEFAULT_MEMORY_LIMIT_BYTES } from '../component/memory-ceiling.js';
import { workerEntry } from '../worker-entry.js';
import type { MessagePort } from 'node:worker_threads';
import { BridgeTimeout, openSyncLine, startSyncBridge, type SyncBridge } from './sync-bridge.js';
import { capabilityFailure, type DenialReporter } from './failure.js';
import { refusedRedisCommand, type ReplicationSource } from './redis-command-policy.js';
import type { BridgeReply, BridgeRequest } from './connections-service.js';
import type { ConnectionsWorkerData } from './connections-worker.js';

export interface ConnectionSettings {
  /** Deadline of one query or command, connecting included. */
  timeoutMs: number;
  /** The most one call may receive from its datastore (the drivers hold a whole result before it is answered); by default connectionResultLimit of the default memory limit. */
  resultLimitBytes?: number;
  /** The setting `resultLimitBytes` comes from, named when a call passes it. */
  limitSource?: string;
  /**
   * Where the requests are served. By default a thread of this createConnections's own
   * (connections-worker.ts), which a caller on the main thread needs; a sandbox lane instead hands
   * the far end of its line to the host's main thread (serveConnections), one isolate fewer.
   */
  line?: (port: MessagePort, answered: Int32Array) => void;
}

/** The bound on what one call may receive, for a lane whose manager may have `memoryLimitBytes` of linear memory. */
export function connectionResultLimit(memoryLimitBytes: number): number {
  // the answer is lifted into that memory, and the drivers' JS values take several times its bytes
  return Math.max(1024 * 1024, Math.floor(memoryLimitBytes / 8));
}

/**
 * How much longer than a request's own deadline the caller waits for the
 * service to answer. The service enforces the deadline itself; this only
 * bounds a thread that stopped answering altogether (and covers a thread's
 * start-up, which under the TypeScript loader takes a second or so).
 */
const BRIDGE_GRACE_MS = 10_000;

export const resultLimitBytes = (settings: ConnectionSettings) => settings.resultLimitBytes ?? connectionResultLimit(DEFAULT_MEMORY_LIMIT_BYTES);
export const limitSource = (settings: ConnectionSettings) => settings.limitSource ?? 'host.memory_limit';

type Bridge = SyncBridge<BridgeRequest, BridgeReply>;

const SQL_KINDS: ReadonlySet<ConnectionGrant['kind']> = new Set(['postgresql', 'mysql']);

/**
 * berth:datastore/connections over the connections a guest config names.
 * Deny by default: a name the grants do not list, or a SQL call on a Redis
 * connection (and the reverse), is refused before anything is contacted,
 * and so is a Redis command that would make the server dial elsewhere, take
 * the connection over or load code (redis-command-policy.ts).
 * The manager never sees addresses or credentials: those stay in `grants`
 * and in the service (connections-service.ts), which holds one client per
 * name and is reached at the first granted call: on the host's main thread
 * for a lane (`settings.line`), else in a thread of its own. The imports
 * are synchronous, as a component's must be: each blocks until the service
 * answers (sync-bridge.ts: SharedArrayBuffer + Atomics.wait).
 *
 * `close()` ends the clients (and the thread, if there is one); calls after
 * it answer `unavailable`. `allowReplicationSource` names the one host:port a
 * Redis connection may make its server follow (REPLICAOF), and so lets
 * through CONFIG SET masteruser/masterauth; undefined takes it back.
 */
export function createConnections(
  grants: Readonly<Record<string, ConnectionGrant>>,
  settings: ConnectionSettings,
  onDenied?: DenialReporter,
): typeof Connections & { close(): void; allowReplicationSource(source: ReplicationSource | undefined): void } {
  let bridge: Bridge | undefined;
  let closed = false;
  let replicationSource: ReplicationSource | undefined;

  const deny = (what: string, why: string): never => {
    const message = `${what}: ${why}`;
    onDenied?.('connections', message);
    throw capabilityFailure({ tag: 'denied', val: message });
  };
  const fail = (error: CapabilityError): never => {
    throw capabilityFailure(error);
  };

  function grantFor(connection: string, kind: 'sql' | 'redis'): ConnectionGrant {
    const what = `connection "${connection}"`;
    // own keys only: "constructor" or "__proto__" must not resolve to something
    const grant = Object.hasOwn(grants, connection) ? grants[connection] : undefined;
    if (!grant) return deny(what, 'not granted');
    if (kind === 'sql' && !SQL_KINDS.has(grant.kind)) return deny(what, `a ${grant.kind} connection, not a SQL one`);
    if (kind === 'redis' && grant.kind !== 'redis') return deny(what, `a ${grant.kind} connection, not a Redis one`);
    return grant;
  }

  function startBridge(): Bridge {
    const waitMs = settings.timeoutMs + BRIDGE_GRACE_MS;
    if (settings.line) return openSyncLine<BridgeRequest, BridgeReply>(settings.line, waitMs);
    // one thread per createConnections: two instances in one thread never share clients keyed by name
    const entry = workerEntry(import.meta.url, 'connections-worker');
    const extra: Omit<ConnectionsWorkerData, 'port' | 'answered'> = { resultLimitBytes: resultLimitBytes(settings), limitSource: limitSource(settings) };
    return startSyncBridge<BridgeRequest, BridgeReply>(entry.file, entry.execArgv, waitMs, undefined, extra);
  }

  function call(request: Exclude<BridgeRequest, { op: 'close' }>): unknown {
    if (closed) return fail({ tag: 'unavailable', val: `connection "${request.name}": the host has closed its connections` });
    bridge ??= startBridge();
    let reply: BridgeReply;
    try {
      reply = bridge.call(request);
    } catch (error) {
      // The thread missed its own deadline by the grace, could not start, or died: a new one at the next call.
      bridge.terminate();
      bridge = undefined;
      if (error instanceof BridgeTimeout) return fail({ tag: 'timeout', val: `connection "${request.name}": no answer within ${settings.timeoutMs} ms` });
      const message = error instanceof Error ? error.message : String(error);
      return fail({ tag: 'failed', val: `connection "${request.name}": the connection thread failed: ${message}` });
    }
    if ('err' in reply) return fail(reply.err);
    return reply.ok;
  }

  return {
    sqlQuery(connection, statement, params) {
      const grant = grantFor(connection, 'sql');
      return call({ op: 'sql', name: connection, grant, timeoutMs: settings.timeoutMs, statement, params }) as Connections.SqlResult;
    },
    redisCommand(connection, args) {
      const grant = grantFor(connection, 'redis');
      if (args.length === 0) return fail({ tag: 'invalid', val: `connection "${connection}": a Redis command needs at least its name` });
      const refused = refusedRedisCommand(args, replicationSource);
      if (refused !== undefined) return deny(`connection "${connection}"`, refused);
      return call({ op: 'redis', name: connection, grant, timeoutMs: settings.timeoutMs, args }) as Connections.RedisNode[];
    },
    allowReplicationSource(source) {
      replicationSource = source === undefined ? undefined : { host: source.host, port: source.port };
    },
    close() {
      closed = true;
      const running = bridge;
      bridge = undefined;
      if (!running) return;
      try {
        running.call({ op: 'close' });
      } catch {
        // the thread is gone already
      }
      running.terminate();
    },
  };
}
