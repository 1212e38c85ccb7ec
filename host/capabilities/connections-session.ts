import type { Readable } from 'node:stream';
import type { ConnectionGrant } from '../config/guest-config.js';
import type { CapabilityError } from '../generated/interfaces/berth-datastore-types.js';
import type { RedisNode, SqlResult, SqlValue } from '../generated/interfaces/berth-datastore-connections.js';

/**
 * What the connections service (connections-service.ts) asks of a client of
 * one datastore kind, and what the kinds share: sorting failures into the
 * contract's cases, reading a grant's endpoint, and cell values. Each kind's
 * client lives in its own module, loaded only when a grant of that kind is
 * first used, so a host carries the one driver its manager needs.
 */

/** What the bridge asks of every client, whatever its kind. */
interface SessionBase {
  /** Log in, then run the host's checks of the login (the role or account may not reach the server's files); once, the first call waits for it. */
  connect(): Promise<void>;
  /**
   * The connection is gone: its socket closed or failed. Read by the bridge
   * before a call sends anything, when it can only have happened between
   * calls (a failure during a call drops the client there and then).
   */
  readonly lost: boolean;
  /** What of this session a new connection would not have (an open transaction, session settings), or undefined: connections-session-state.ts. */
  heldState(): string | undefined;
  classify(error: unknown): Classified;
  /** The socket the datastore answers on, once connected: the service counts the bytes a call receives on it. */
  wire(): Readable | undefined;
  /** Throw the client away now (a deadline passed, or it broke), cancelling server-side work where the datastore allows. */
  abandon(): void;
  close(): Promise<unknown>;
}

export interface SqlSession extends SessionBase {
  readonly kind: 'sql';
  query(statement: string, params: SqlValue[]): Promise<SqlResult>;
}

export interface RedisCommandSession extends SessionBase {
  readonly kind: 'redis';
  command(args: Uint8Array[]): Promise<RedisNode[]>;
}

export type Session = SqlSession | RedisCommandSession;

/** `what`: how errors name the connection ('connection "admin"'). */
export type SessionClass = new (what: string, grant: ConnectionGrant, timeoutMs: number) => Session;

// ---------------------------------------------------------------------------
// Errors

/**
 * A failure sorted into the contract's cases; `broken` = the client cannot be
 * reused; `notServing` = connecting failed because the datastore does not
 * serve yet (nothing listens, its socket file is not there, it is starting
 * up): the one connect failure a call may wait out (connections-reconnect.ts).
 */
export class Classified {
  constructor(
    readonly error: CapabilityError,
    readonly broken: boolean,
    readonly notServing = false,
  ) {}
}

/** Socket-level codes meaning the datastore cannot be reached (not listening, socket missing, connection lost). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOENT',
  'ENOTDIR',
  'EACCES',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
]);

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
export const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** Nothing listens on the port, or the Unix socket file is not there: what a datastore that is (re)starting looks like. */
const NOT_LISTENING = new Set(['ECONNREFUSED', 'ENOENT']);

export function networkError(what: string, error: unknown): Classified | undefined {
  const code = codeOf(error);
  if (code && UNREACHABLE.has(code)) return new Classified({ tag: 'unavailable', val: `${what}: cannot connect (${messageOf(error)})` }, true, NOT_LISTENING.has(code));
  if (code === 'ETIMEDOUT' || code === 'PROTOCOL_SEQUENCE_TIMEOUT') return new Classified({ tag: 'timeout', val: `${what}: ${messageOf(error)}` }, true);
  return undefined;
}

// ---------------------------------------------------------------------------
// Grants

interface Endpoint {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
}

/**
 * Host, port, credentials and database from a grant's URL, then its explicit
 * fields over them. Query parameters are not read (sslmode, host=/dir...):
 * a Unix socket is the grant's `socket`.
 */
export function endpoint(grant: ConnectionGrant): Endpoint {
  const out: Endpoint = {};
  if (grant.url !== undefined) {
    const url = new URL(grant.url);
    const host = decodeURIComponent(url.hostname);
    if (host) out.host = host.startsWith('[') ? host.slice(1, -1) : host;
    if (url.port) out.port = Number(url.port);
    if (url.username) out.user = decodeURIComponent(url.username);
    if (url.password) out.password = decodeURIComponent(url.password);
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (database) out.database = database;
  }
  if (grant.user !== undefined) out.user = grant.user;
  if (grant.password !== undefined) out.password = grant.password;
  if (grant.database !== undefined) out.database = grant.database;
  return out;
}

const DEFAULT_PORTS: Record<ConnectionGrant['kind'], number> = { postgresql: 5432, mysql: 3306, redis: 6379 };

/** Host and port of each granted connection that has them: where a client program may be pointed (exec-arguments.ts). */
export function grantedServers(grants: Readonly<Record<string, ConnectionGrant>>): { host: string; port: number }[] {
  const servers: { host: string; port: number }[] = [];
  for (const grant of Object.values(grants)) {
    const { host, port } = endpoint(grant);
    if (host !== undefined) servers.push({ host, port: port ?? DEFAULT_PORTS[grant.kind] });
  }
  return servers;
}

// ---------------------------------------------------------------------------
// Values

/** A fresh, exactly sized copy: a driver's Buffer is often a view into a larger pool that cloning would copy whole. */
export const ownBytes = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

const S64_MIN = -(2n ** 63n);
const S64_MAX = 2n ** 63n - 1n;

/** An integer column's text as `integer`, or as `text` if it does not fit s64 (MySQL BIGINT UNSIGNED). */
export function integerCell(text: string): SqlValue {
  try {
    const value = BigInt(text);
    if (value >= S64_MIN && value <= S64_MAX) return { tag: 'integer', val: value };
  } catch {
    // not an integer after all
  }
  return { tag: 'text', val: text };
}

/** ISO 8601 for the servers' "YYYY-MM-DD HH:MM:SS[.f][+HH[:MM]]" (pg DateStyle ISO, MySQL); anything else as it is. */
export function isoTimestamp(text: string): string {
  const match = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?:([+-]\d\d)(?::?(\d\d))?)?$/.exec(text);
  if (!match) return text;
  const [, date, time, offsetHours, offsetMinutes] = match;
  return `${date}T${time}${offsetHours ? `${offsetHours}:${offsetMinutes ?? '00'}` : ''}`;
}
