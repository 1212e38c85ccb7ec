/**
 * What answers berth:datastore/connections requests: one lazily opened
 * client per connection name, one request at a time, each with its deadline
 * and a bound on the bytes its answer may bring in. It runs on the host's
 * main thread, served over the lane's synchronous line (sync-bridge.ts:
 * SharedArrayBuffer + Atomics) while the lane's manager waits, or in a
 * thread of its own (connections-worker.ts) for a caller that is itself the
 * main thread. Replies are plain structured-cloneable data: the import's
 * `ok` value or the capability-error to throw, never an exception.
 *
 * Deadlines: a request that has not settled after `timeoutMs` answers
 * `timeout`, and its client is thrown away (and, where the datastore allows,
 * its server-side work cancelled) so that a hung query cannot wedge later
 * calls. The next call opens a fresh client. A client lost between calls
 * (the datastore restarted) is replaced before anything is sent, never
 * after: connections-reconnect.ts.
 *
 * Bytes: the drivers hold a whole result before it is answered, and on the
 * main thread an out-of-memory would end the host. So what a request
 * receives on its socket is counted as it arrives; past `resultLimitBytes`
 * the client is cut off and the call answers `failed`, naming the bound.
 *
 * Each kind's driver is loaded at the first request for a grant of that
 * kind, before its deadline starts: a PostgreSQL manager's host never loads
 * mysql2 or ioredis.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ConnectionGrant } from '../config/guest-config.js';
import { serveSyncBridge } from './sync-bridge.js';
import type { CapabilityError } from '../generated/interfaces/berth-datastore-types.js';
import type { RedisNode, SqlResult, SqlValue } from '../generated/interfaces/berth-datastore-connections.js';
import { sessionForCall, type CallState, type SessionPool } from './connections-reconnect.js';
import { messageOf, type Session, type SessionClass } from './connections-session.js';
import { importWithNodeNavigator } from './node-navigator.js';

export type BridgeRequest =
  | { op: 'sql'; name: string; grant: ConnectionGrant; timeoutMs: number; statement: string; params: SqlValue[] }
  | { op: 'redis'; name: string; grant: ConnectionGrant; timeoutMs: number; args: Uint8Array[] }
  | { op: 'close' };

export type BridgeReply = { ok: SqlResult } | { ok: RedisNode[] } | { ok: null } | { err: CapabilityError };

type Work = Exclude<BridgeRequest, { op: 'close' }>;

/** How long closing waits for clients to say goodbye before it answers anyway. */
const CLOSE_GRACE_MS = 1000;

/** Each kind's client module, imported once per thread, on first use. */
const DRIVERS: Record<ConnectionGrant['kind'], () => Promise<SessionClass>> = {
  postgresql: () => importWithNodeNavigator(() => import('./connections-postgres.js')).then((module) => module.PostgresSession),
  mysql: () => import('./connections-mysql.js').then((module) => module.MysqlSession),
  redis: () => import('./connections-redis.js').then((module) => module.RedisSession),
};
const loaded = new Map<ConnectionGrant['kind'], Promise<SessionClass>>();

function driverFor(kind: ConnectionGrant['kind']): Promise<SessionClass> {
  let driver = loaded.get(kind);
  if (!driver) {
    driver = DRIVERS[kind]();
    loaded.set(kind, driver);
  }
  return driver;
}

export interface ConnectionsService {
  /** Answers one request; every request settles, within its deadline. */
  handle(request: BridgeRequest): Promise<BridgeReply>;
}

/** `resultLimitBytes`: the most a request may receive from its datastore; `limitSource`: the setting it comes from, for the message. */
export function createConnectionsService(resultLimitBytes: number, limitSource: string): ConnectionsService {
  const sessions = new Map<string, Session>();
  let queue: Promise<unknown> = Promise.resolve();

  function drop(name: string, session: Session): void {
    if (sessions.get(name) === session) sessions.delete(name);
    session.abandon();
  }

  function poolFor(request: Work, Driver: SessionClass): SessionPool {
    return {
      get: (name) => sessions.get(name),
      open: (name) => {
        const session = new Driver(`connection "${name}"`, request.grant, request.timeoutMs);
        sessions.set(name, session);
        return session;
      },
      drop,
    };
  }

  async function send(request: Work, session: Session): Promise<BridgeReply> {
    if (request.op === 'sql') {
      if (session.kind !== 'sql') throw new Error('not a SQL connection');
      return { ok: await session.query(request.statement, request.params) };
    }
    if (session.kind !== 'redis') throw new Error('not a Redis connection');
    return { ok: await session.command(request.args) };
  }

  /** `send`, cut off once the bytes it received pass the bound. */
  async function sendCounted(request: Work, session: Session): Promise<BridgeReply> {
    const wire = session.wire();
    if (!wire) return send(request, session);
    let received = 0;
    let passed: (() => void) | undefined;
    const over = new Promise<'over'>((resolve) => {
      passed = () => resolve('over');
    });
    const count = (chunk: Uint8Array) => {
      received += chunk.byteLength;
      if (received > resultLimitBytes) passed?.();
    };
    wire.on('data', count);
    try {
      const work = send(request, session);
      const outcome = await Promise.race([work, over]);
      if (outcome !== 'over') return outcome;
      work.catch(() => undefined);
      drop(request.name, session);
      const mib = Math.round(resultLimitBytes / (1024 * 1024));
      return { err: { tag: 'failed', val: `connection "${request.name}": the answer passed ${mib} MiB, the most one call may receive (${limitSource}); the call was cut off and the next call connects afresh: ask for less (LIMIT, paging) or raise ${limitSource}` } };
    } finally {
      wire.off('data', count);
    }
  }

  async function execute(request: Work, Driver: SessionClass, call: CallState): Promise<BridgeReply> {
    let session: Session;
    try {
      const opened = await sessionForCall(poolFor(request, Driver), request.name, request.timeoutMs, call);
      if ('err' in opened) return opened;
      session = opened.session;
    } catch (error) {
      // the grant could not make a client at all (a URL the driver rejects)
      return { err: { tag: 'failed', val: `connection "${request.name}": ${messageOf(error)}` } };
    }
    // From here the statement may reach the server: whatever happens, it is not sent again.
    try {
      return await sendCounted(request, session);
    } catch (error) {
      const classified = session.classify(error);
      if (classified.broken) drop(request.name, session);
      return { err: classified.error };
    }
  }

  async function withDeadline(request: Work): Promise<BridgeReply> {
    const Driver = await driverFor(request.grant.kind);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), request.timeoutMs);
    });
    const call: CallState = { expired: false };
    const work = execute(request, Driver, call);
    const outcome = await Promise.race([work, expired]);
    clearTimeout(timer);
    if (outcome !== 'expired') return outcome;
    call.expired = true;
    // Abandon the client: whatever it was doing must not hold up the next call.
    const session = sessions.get(request.name);
    if (session) drop(request.name, session);
    return { err: { tag: 'timeout', val: `connection "${request.name}": no answer within ${request.timeoutMs} ms` } };
  }

  async function closeAll(): Promise<BridgeReply> {
    const closing = [...sessions.values()].map((session) => session.close());
    sessions.clear();
    await Promise.race([Promise.allSettled(closing), new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
    return { ok: null };
  }

  return {
    handle(request: BridgeRequest): Promise<BridgeReply> {
      if (request.op === 'close') return closeAll();
      // One request at a time, in order; the deadline bounds each, so the queue always moves.
      const reply = queue.then(() => withDeadline(request));
      queue = reply.catch(() => undefined);
      return reply.catch((error: unknown) => ({ err: { tag: 'failed', val: `connection "${request.name}": ${messageOf(error)}` } }));
    },
  };
}

/**
 * The host's main thread: serve one lane's line (openSyncLine's far end) with a service of its own,
 * until the lane closes the line or its thread ends; then that service's clients are closed.
 */
export function serveConnections(port: MessagePort, answered: Int32Array, resultLimitBytes: number, limitSource: string): void {
  const service = createConnectionsService(resultLimitBytes, limitSource);
  serveSyncBridge({ port, answered }, (request: BridgeRequest) => service.handle(request));
  // a lane's line never keeps the host alive on its own
  port.unref();
  port.once('close', () => void service.handle({ op: 'close' }));
}
