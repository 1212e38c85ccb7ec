import { createRequire } from 'node:module';
import type * as Synckit from 'synckit';
import type * as Connections from '../generated/interfaces/berth-datastore-connections.js';
import type { CapabilityError } from '../generated/interfaces/berth-datastore-types.js';
import type { ConnectionGrant } from '../config/guest-config.js';
import { workerEntry } from '../worker-entry.js';
import { capabilityFailure, type DenialReporter } from './failure.js';
import { refusedRedisCommand } from './redis-command-policy.js';
import type { BridgeReply, BridgeRequest } from './connections-worker.js';

export interface ConnectionSettings {
  /** Deadline of one query or command, connecting included. */
  timeoutMs: number;
}

/**
 * How much longer than a request's own deadline the caller waits for the
 * bridge thread to answer. The thread enforces the deadline itself; this
 * only bounds a thread that stopped answering altogether (and covers its
 * start-up, which under the TypeScript loader takes a second or so).
 */
const BRIDGE_GRACE_MS = 10_000;

type Bridge = (request: BridgeRequest) => BridgeReply;

const SQL_KINDS: ReadonlySet<ConnectionGrant['kind']> = new Set(['postgresql', 'mysql']);

/**
 * berth:datastore/connections over the connections a guest config names.
 * Deny by default: a name the grants do not list, or a SQL call on a Redis
 * connection (and the reverse), is refused before anything is contacted,
 * and so is a Redis command that would make the server dial elsewhere, take
 * the connection over or load code (redis-command-policy.ts).
 * The manager never sees addresses or credentials: those stay in `grants`
 * and in the bridge thread (connections-worker.ts), which holds one client
 * per name and is started at the first granted call. The imports are
 * synchronous, as a component's must be: each blocks until the thread
 * answers (synckit: SharedArrayBuffer + Atomics.wait).
 *
 * `close()` ends the clients and the thread; calls after it answer
 * `unavailable`.
 */
export function createConnections(
  grants: Readonly<Record<string, ConnectionGrant>>,
  settings: ConnectionSettings,
  onDenied?: DenialReporter,
): typeof Connections & { close(): void } {
  let bridge: Bridge | undefined;
  let closed = false;

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
    // loaded with the bridge, at the first granted call: most calls of most managers never need it, and its
    // import (with import-meta-resolve) costs a sandbox worker about 30 ms at start
    const { startWorkerThread, TsRunner } = createRequire(import.meta.url)('synckit') as typeof Synckit;
    const entry = workerEntry(import.meta.url, 'connections-worker');
    // Not createSyncFn: it caches one worker per file for the whole thread, so two instances in one thread would
    // share clients keyed by name, one close() would end both, and an instance made after a close() would get
    // the dead worker. startWorkerThread is the same bridge without that cache: one thread per createConnections.
    return startWorkerThread<(request: BridgeRequest) => Promise<BridgeReply>>(entry.file, {
      execArgv: entry.execArgv,
      // From source the worker is TypeScript: synckit insists on knowing its loader; workerEntry's execArgv
      // already registers tsx, so naming it here adds nothing to the flags.
      tsRunner: entry.file.endsWith('.ts') ? TsRunner.TSX : undefined,
      timeout: settings.timeoutMs + BRIDGE_GRACE_MS,
    });
  }

  function call(request: Exclude<BridgeRequest, { op: 'close' }>): unknown {
    if (closed) return fail({ tag: 'unavailable', val: `connection "${request.name}": the host has closed its connections` });
    bridge ??= startBridge();
    let reply: BridgeReply;
    try {
      reply = bridge(request);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/timed-out/.test(message)) {
        return fail({ tag: 'timeout', val: `connection "${request.name}": no answer within ${settings.timeoutMs} ms` });
      }
      // The thread failed (it could not start, or died): start a new one at the next call.
      const broken = bridge;
      bridge = undefined;
      try {
        broken({ op: 'close' });
      } catch {
        // already gone
      }
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
      const refused = refusedRedisCommand(args);
      if (refused !== undefined) return deny(`connection "${connection}"`, refused);
      return call({ op: 'redis', name: connection, grant, timeoutMs: settings.timeoutMs, args }) as Connections.RedisNode[];
    },
    close() {
      closed = true;
      const running = bridge;
      bridge = undefined;
      if (!running) return;
      try {
        running({ op: 'close' });
      } catch {
        // the thread is gone already
      }
    },
  };
}
