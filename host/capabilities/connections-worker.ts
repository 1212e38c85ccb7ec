/**
 * The thread behind berth:datastore/connections. Component imports must be
 * synchronous, the drivers (pg, mysql2, ioredis) are not: connections.ts
 * blocks on this worker through sync-bridge.ts (SharedArrayBuffer + Atomics) while
 * it runs one request at a time against one lazily opened client per
 * connection name, and answers with plain structured-cloneable data: the
 * import's `ok` value or the capability-error to throw, never an exception.
 *
 * Deadlines are enforced here: a request that has not settled after
 * `timeoutMs` answers `timeout`, and its client is thrown away (and, where
 * the datastore allows, its server-side work cancelled) so that a hung query
 * cannot wedge later calls. The next call opens a fresh client. A client
 * lost between calls (the datastore restarted) is replaced before anything
 * is sent, never after: connections-reconnect.ts.
 *
 * Each kind's driver is loaded at the first request for a grant of that
 * kind, before its deadline starts: a PostgreSQL manager's host never loads
 * mysql2 or ioredis.
 */
import { workerData } from 'node:worker_threads';
import { serveSyncBridge, type BridgeWorkerData } from './sync-bridge.js';
import type { ConnectionGrant } from '../config/guest-config.js';
import type { CapabilityError } from '../generated/interfaces/berth-datastore-types.js';
import type { RedisNode, SqlResult, SqlValue } from '../generated/interfaces/berth-datastore-connections.js';
import { sessionForCall, type CallState, type SessionPool } from './connections-reconnect.js';
import { messageOf, type Session, type SessionClass } from './connections-session.js';

export type BridgeRequest =
  | { op: 'sql'; name: string; grant: ConnectionGrant; timeoutMs: number; statement: string; params: SqlValue[] }
  | { op: 'redis'; name: string; grant: ConnectionGrant; timeoutMs: number; args: Uint8Array[] }
  | { op: 'close' };

export type BridgeReply = { ok: SqlResult } | { ok: RedisNode[] } | { ok: null } | { err: CapabilityError };

/** How long closing waits for clients to say goodbye before the thread exits anyway. */
const CLOSE_GRACE_MS = 1000;

/** Each kind's client module, imported once, on first use. */
const DRIVERS: Record<ConnectionGrant['kind'], () => Promise<SessionClass>> = {
  postgresql: () => import('./connections-postgres.js').then((module) => module.PostgresSession),
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

// Requests

/** One client per connection name, opened at its first use, replaced as connections-reconnect.ts says. */
const sessions = new Map<string, Session>();

function poolFor(request: Exclude<BridgeRequest, { op: 'close' }>, Driver: SessionClass): SessionPool {
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

function drop(name: string, session: Session): void {
  if (sessions.get(name) === session) sessions.delete(name);
  session.abandon();
}

async function execute(request: Exclude<BridgeRequest, { op: 'close' }>, Driver: SessionClass, call: CallState): Promise<BridgeReply> {
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
    if (request.op === 'sql') {
      if (session.kind !== 'sql') throw new Error('not a SQL connection');
      return { ok: await session.query(request.statement, request.params) };
    }
    if (session.kind !== 'redis') throw new Error('not a Redis connection');
    return { ok: await session.command(request.args) };
  } catch (error) {
    const classified = session.classify(error);
    if (classified.broken) drop(request.name, session);
    return { err: classified.error };
  }
}

async function withDeadline(request: Exclude<BridgeRequest, { op: 'close' }>): Promise<BridgeReply> {
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
  await Promise.race([Promise.allSettled(closing), new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS))]);
  // After the answer is posted: ends this thread and whatever sockets remain.
  setImmediate(() => process.exit(0));
  return { ok: null };
}

let queue: Promise<unknown> = Promise.resolve();

serveSyncBridge(workerData as BridgeWorkerData, (request: BridgeRequest): Promise<BridgeReply> => {
  if (request.op === 'close') return closeAll();
  // One request at a time, in order; the deadline bounds each, so the queue always moves.
  const reply = queue.then(() => withDeadline(request));
  queue = reply.catch(() => undefined);
  return reply.catch((error: unknown) => ({ err: { tag: 'failed', val: `connection "${request.name}": ${messageOf(error)}` } }));
});
