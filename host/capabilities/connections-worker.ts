/**
 * The thread behind berth:datastore/connections. Component imports must be
 * synchronous, the drivers (pg, mysql2, ioredis) are not: connections.ts
 * blocks on this worker through synckit (SharedArrayBuffer + Atomics) while
 * it runs one request at a time against one lazily opened client per
 * connection name, and answers with plain structured-cloneable data: the
 * import's `ok` value or the capability-error to throw, never an exception.
 *
 * Deadlines are enforced here: a request that has not settled after
 * `timeoutMs` answers `timeout`, and its client is thrown away (and, where
 * the datastore allows, its server-side work cancelled) so that a hung query
 * cannot wedge later calls. The next call opens a fresh client.
 */
import { createRequire } from 'node:module';
import { runAsWorker } from 'synckit';
import pg from 'pg';
import mysql from 'mysql2';
import { Command, Redis, type RedisOptions } from 'ioredis';
import type { ConnectionGrant } from '../config/guest-config.js';
import type { CapabilityError } from '../generated/interfaces/berth-datastore-types.js';
import type { RedisNode, SqlResult, SqlValue } from '../generated/interfaces/berth-datastore-connections.js';

export type BridgeRequest =
  | { op: 'sql'; name: string; grant: ConnectionGrant; timeoutMs: number; statement: string; params: SqlValue[] }
  | { op: 'redis'; name: string; grant: ConnectionGrant; timeoutMs: number; args: Uint8Array[] }
  | { op: 'close' };

export type BridgeReply = { ok: SqlResult } | { ok: RedisNode[] } | { ok: null } | { err: CapabilityError };

/** How long closing waits for clients to say goodbye before the thread exits anyway. */
const CLOSE_GRACE_MS = 1000;

// ---------------------------------------------------------------------------
// Errors

/** A failure sorted into the contract's cases; `broken` = the client cannot be reused. */
class Classified {
  constructor(
    readonly error: CapabilityError,
    readonly broken: boolean,
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

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

function networkError(what: string, error: unknown): Classified | undefined {
  const code = codeOf(error);
  if (code && UNREACHABLE.has(code)) return new Classified({ tag: 'unavailable', val: `${what}: cannot connect (${messageOf(error)})` }, true);
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
function endpoint(grant: ConnectionGrant): Endpoint {
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

// ---------------------------------------------------------------------------
// Values

/** A fresh, exactly sized copy: a driver's Buffer is often a view into a larger pool that cloning would copy whole. */
const ownBytes = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

const S64_MIN = -(2n ** 63n);
const S64_MAX = 2n ** 63n - 1n;

/** An integer column's text as `integer`, or as `text` if it does not fit s64 (MySQL BIGINT UNSIGNED). */
function integerCell(text: string): SqlValue {
  try {
    const value = BigInt(text);
    if (value >= S64_MIN && value <= S64_MAX) return { tag: 'integer', val: value };
  } catch {
    // not an integer after all
  }
  return { tag: 'text', val: text };
}

/** ISO 8601 for the servers' "YYYY-MM-DD HH:MM:SS[.f][+HH[:MM]]" (pg DateStyle ISO, MySQL); anything else as it is. */
function isoTimestamp(text: string): string {
  const match = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?:([+-]\d\d)(?::?(\d\d))?)?$/.exec(text);
  if (!match) return text;
  const [, date, time, offsetHours, offsetMinutes] = match;
  return `${date}T${time}${offsetHours ? `${offsetHours}:${offsetMinutes ?? '00'}` : ''}`;
}

// ---------------------------------------------------------------------------
// PostgreSQL

const PG = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  float4: 700,
  float8: 701,
  timestamp: 1114,
  timestamptz: 1184,
} as const;

/** Every column arrives as the server's text: converted below from the column's type, so int8 keeps all its digits. */
const PG_RAW_TYPES = { getTypeParser: () => (text: string) => text };

function pgCell(typeId: number, value: unknown): SqlValue {
  if (value === null || value === undefined) return { tag: 'null' };
  if (typeof value !== 'string') return { tag: 'text', val: String(value) };
  switch (typeId) {
    case PG.bool:
      return { tag: 'boolean', val: value === 't' || value === 'true' };
    case PG.int2:
    case PG.int4:
    case PG.int8:
    case PG.oid:
      return integerCell(value);
    case PG.float4:
    case PG.float8:
      return { tag: 'float', val: Number(value) };
    case PG.bytea:
      return { tag: 'bytes', val: pgBytea(value) };
    case PG.timestamp:
    case PG.timestamptz:
      return { tag: 'text', val: isoTimestamp(value) };
    default:
      return { tag: 'text', val: value };
  }
}

/** bytea in the hex output format (the default since 9.0), or the older escape format. */
function pgBytea(text: string): Uint8Array {
  if (text.startsWith('\\x')) return ownBytes(Buffer.from(text.slice(2), 'hex'));
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && text[i + 1] === '\\') {
      out.push(0x5c);
      i += 1;
    } else if (text[i] === '\\' && /^[0-7]{3}$/.test(text.slice(i + 1, i + 4))) {
      out.push(parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      out.push(text.charCodeAt(i));
    }
  }
  return Uint8Array.from(out);
}

function pgParam(value: SqlValue): unknown {
  switch (value.tag) {
    case 'null':
      return null;
    case 'integer':
      // pg sends parameters as text: the decimal string keeps all 64 bits
      return value.val.toString();
    case 'bytes':
      return Buffer.from(value.val.buffer, value.val.byteOffset, value.val.byteLength);
    default:
      return value.val;
  }
}

const PG_CHANGES_ROWS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/** SQLSTATEs that mean the server cannot serve connections now rather than that it refused the statement. */
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03']);

class PostgresSession {
  readonly kind = 'sql';
  private readonly client: pg.Client;
  private ready: Promise<unknown> | undefined;
  private broken = false;

  constructor(
    private readonly what: string,
    grant: ConnectionGrant,
    timeoutMs: number,
  ) {
    const { host, port, user, password, database } = endpoint(grant);
    const config: pg.ClientConfig = {
      host,
      port,
      user,
      password,
      database,
      types: PG_RAW_TYPES,
      connectionTimeoutMillis: timeoutMs,
      // The server cancels a statement past the deadline itself, so an abandoned query does not keep running there.
      statement_timeout: timeoutMs,
    };
    if (grant.socket !== undefined) {
      // libpq style: a socket directory, or the socket file itself (/run/postgresql/.s.PGSQL.5432)
      const file = /^(.*)\/\.s\.PGSQL\.(\d+)$/.exec(grant.socket);
      config.host = file ? file[1] || '/' : grant.socket;
      if (file) config.port = Number(file[2]);
    }
    this.client = new pg.Client(config);
    // Without a listener, an idle connection dropped by the server would crash this thread.
    this.client.on('error', () => {
      this.broken = true;
    });
  }

  async query(statement: string, params: SqlValue[]): Promise<SqlResult> {
    this.ready ??= this.client.connect();
    await this.ready;
    const values = params.map(pgParam);
    // With no parameters pg uses the simple protocol, which accepts several statements and answers with one result each.
    const answer = (await this.client.query({ text: statement, values, rowMode: 'array' })) as pg.QueryArrayResult | pg.QueryArrayResult[];
    const results = Array.isArray(answer) ? answer : [answer];
    const last = [...results].reverse().find((r) => r.fields.length > 0) ?? results[results.length - 1];
    let affectedRows = 0n;
    for (const r of results) if (PG_CHANGES_ROWS.has(r.command) && r.rowCount) affectedRows += BigInt(r.rowCount);
    if (!last) return { columns: [], rows: [], affectedRows };
    const types = last.fields.map((f) => f.dataTypeID);
    return {
      columns: last.fields.map((f) => f.name),
      rows: last.rows.map((row) => row.map((value, i) => pgCell(types[i] ?? 0, value))),
      affectedRows,
    };
  }

  classify(error: unknown): Classified {
    if (error instanceof pg.DatabaseError && error.code) {
      const broken = this.broken;
      if (error.code === '57014') return new Classified({ tag: 'timeout', val: `${this.what}: ${error.message}` }, broken);
      if (PG_UNAVAILABLE.has(error.code)) return new Classified({ tag: 'unavailable', val: `${this.what}: ${error.message}` }, true);
      return new Classified({ tag: 'database', val: { code: error.code, message: error.message } }, broken);
    }
    const network = networkError(this.what, error);
    if (network) return network;
    const message = messageOf(error);
    if (/timeout/i.test(message)) return new Classified({ tag: 'timeout', val: `${this.what}: ${message}` }, true);
    // "Connection terminated unexpectedly" and the like: the client is gone.
    if (this.broken || /connection|terminated/i.test(message)) {
      return new Classified({ tag: 'unavailable', val: `${this.what}: ${message}` }, true);
    }
    return new Classified({ tag: 'failed', val: `${this.what}: ${message}` }, true);
  }

  abandon(): void {
    this.broken = true;
    this.client.end().catch(() => undefined);
    // end() waits for the server; a hung query must not keep the socket: cut it (pg has no public destroy).
    (this.client as unknown as { connection?: { stream?: { destroy?(): void } } }).connection?.stream?.destroy?.();
  }

  close(): Promise<unknown> {
    return this.client.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------
// MySQL / MariaDB

/** mysql2's column type codes (MYSQL_TYPE_*). */
const MY = {
  decimal: 0,
  tiny: 1,
  short: 2,
  long: 3,
  float: 4,
  double: 5,
  timestamp: 7,
  longlong: 8,
  int24: 9,
  datetime: 12,
  year: 13,
  varchar: 15,
  bit: 16,
  tinyBlob: 249,
  mediumBlob: 250,
  longBlob: 251,
  blob: 252,
  varString: 253,
  string: 254,
  geometry: 255,
} as const;
const MY_BINARY_CHARSET = 63;
const MY_INTEGERS = new Set<number>([MY.tiny, MY.short, MY.long, MY.longlong, MY.int24, MY.year]);
const MY_STRINGS = new Set<number>([MY.varchar, MY.tinyBlob, MY.mediumBlob, MY.longBlob, MY.blob, MY.varString, MY.string]);

interface MysqlField {
  name: string;
  columnType?: number;
  type?: number;
  characterSet?: number;
}

function mysqlCell(field: MysqlField | undefined, value: unknown): SqlValue {
  if (value === null || value === undefined) return { tag: 'null' };
  // typeCast: false leaves every value as the bytes the server sent (text protocol)
  const bytes = value instanceof Uint8Array ? value : Buffer.from(String(value));
  const type = field?.columnType ?? field?.type ?? -1;
  const text = () => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (MY_INTEGERS.has(type)) return integerCell(text());
  if (type === MY.float || type === MY.double) return { tag: 'float', val: Number(text()) };
  if (type === MY.bit || type === MY.geometry) return { tag: 'bytes', val: ownBytes(bytes) };
  if (MY_STRINGS.has(type) && field?.characterSet === MY_BINARY_CHARSET) return { tag: 'bytes', val: ownBytes(bytes) };
  if (type === MY.datetime || type === MY.timestamp) return { tag: 'text', val: isoTimestamp(text()) };
  return { tag: 'text', val: text() };
}

function mysqlParam(value: SqlValue): unknown {
  switch (value.tag) {
    case 'null':
      return null;
    case 'bytes':
      return Buffer.from(value.val.buffer, value.val.byteOffset, value.val.byteLength);
    default:
      // mysql2 escapes a bigint as its decimal digits, unquoted
      return value.val;
  }
}

interface MysqlHeader {
  affectedRows?: number;
}

class MysqlSession {
  readonly kind = 'sql';
  private readonly connection: mysql.Connection;
  private readonly options: mysql.ConnectionOptions;
  private ready: Promise<void> | undefined;
  private broken = false;
  private abandoned = false;

  constructor(
    private readonly what: string,
    grant: ConnectionGrant,
    timeoutMs: number,
  ) {
    const { host, port, user, password, database } = endpoint(grant);
    this.options = {
      host,
      port,
      user,
      password,
      database,
      socketPath: grant.socket,
      connectTimeout: timeoutMs,
      charset: 'utf8mb4',
      multipleStatements: false,
    };
    this.connection = mysql.createConnection(this.options);
    this.connection.on('error', () => {
      this.broken = true;
    });
  }

  async query(statement: string, params: SqlValue[]): Promise<SqlResult> {
    this.ready ??= new Promise<void>((resolve, reject) => this.connection.connect((error) => (error ? reject(error) : resolve())));
    await this.ready;
    const [rows, fields] = await new Promise<[unknown, unknown]>((resolve, reject) => {
      this.connection.query(
        {
          sql: statement,
          // without parameters the statement goes as written: a literal ? stays a ?
          values: params.length > 0 ? params.map(mysqlParam) : undefined,
          rowsAsArray: true,
          typeCast: false,
        },
        (error: unknown, rows: unknown, fields: unknown) => (error ? reject(error) : resolve([rows, fields])),
      );
    });
    return mysqlResult(rows, fields);
  }

  classify(error: unknown): Classified {
    const network = networkError(this.what, error);
    if (network) return network;
    const { sqlState, fatal } = error as { sqlState?: unknown; fatal?: unknown };
    const broken = this.broken || fatal === true;
    if (typeof sqlState === 'string' && sqlState !== '') {
      return new Classified({ tag: 'database', val: { code: sqlState, message: messageOf(error) } }, broken);
    }
    const code = codeOf(error);
    if (code?.startsWith('ER_')) return new Classified({ tag: 'database', val: { code, message: messageOf(error) } }, broken);
    return new Classified({ tag: broken ? 'unavailable' : 'failed', val: `${this.what}: ${messageOf(error)}` }, true);
  }

  abandon(): void {
    if (this.abandoned) return;
    this.abandoned = true;
    this.broken = true;
    const threadId = this.connection.threadId;
    this.connection.destroy();
    // The server keeps running the statement after the client goes: end it from a second connection, best effort.
    if (typeof threadId === 'number' && threadId > 0) {
      const killer = mysql.createConnection(this.options);
      killer.on('error', () => undefined);
      killer.query(`KILL ${threadId}`, () => killer.destroy());
    }
  }

  close(): Promise<unknown> {
    return new Promise<void>((resolve) => this.connection.end(() => resolve()));
  }
}

function mysqlResult(rows: unknown, fields: unknown): SqlResult {
  // CALL answers with several result sets followed by a header: the last set is the answer
  const sets: Array<{ rows: unknown; fields: unknown }> =
    Array.isArray(fields) && Array.isArray(fields[0])
      ? (rows as unknown[]).map((r, i) => ({ rows: r, fields: (fields as unknown[])[i] }))
      : [{ rows, fields }];
  let affectedRows = 0n;
  let table: { rows: unknown[][]; fields: MysqlField[] } | undefined;
  for (const set of sets) {
    if (Array.isArray(set.rows) && Array.isArray(set.fields)) table = { rows: set.rows as unknown[][], fields: set.fields as MysqlField[] };
    else if (set.rows && typeof set.rows === 'object') {
      const header = set.rows as MysqlHeader;
      if (typeof header.affectedRows === 'number') affectedRows += BigInt(header.affectedRows);
    }
  }
  if (!table) return { columns: [], rows: [], affectedRows };
  const columns = table.fields;
  return {
    columns: columns.map((f) => f.name),
    rows: table.rows.map((row) => row.map((value, i) => mysqlCell(columns[i], value))),
    affectedRows,
  };
}

// ---------------------------------------------------------------------------
// Redis

/**
 * Status ("simple string") replies versus bulk ones. ioredis 6 decodes both
 * to Buffer (like redis-parser with returnBuffers), so `callBuffer` alone
 * cannot tell `+OK` from `$2 OK`, and it decodes integers to JS numbers,
 * losing digits past 2^53. Its decoder reads its type mapping afresh for
 * every value, so a Decoder subclass installed here (this thread's own copy
 * of ioredis, used by nothing else) asks for simple strings and integers as
 * text and notes, in reply order, which was which; once the whole reply is
 * decoded it turns integers into bigint. Status replies then reach us as
 * strings, bulk ones as Buffers, integers as bigints. Should a future
 * ioredis move these internals, the patch is skipped and status replies
 * come back as `bulk`, integers as (possibly rounded) numbers.
 */
interface DecoderModule {
  Decoder?: new (config: DecoderConfig) => object;
  RESP_TYPES?: { SIMPLE_STRING?: number; NUMBER?: number };
}
interface DecoderConfig {
  getTypeMapping(): Record<number, unknown>;
  onReply(reply: unknown): void;
  onErrorReply(error: unknown): void;
  [key: string]: unknown;
}

function tagRedisStatusReplies(): boolean {
  let decoder: DecoderModule;
  try {
    decoder = createRequire(import.meta.url)('ioredis/built/resp/decoder') as DecoderModule;
  } catch {
    return false;
  }
  const Base = decoder.Decoder;
  const simple = decoder.RESP_TYPES?.SIMPLE_STRING;
  const integer = decoder.RESP_TYPES?.NUMBER;
  if (typeof Base !== 'function' || simple !== 43 || integer !== 58) return false;
  class TaggingDecoder extends Base {
    constructor(config: DecoderConfig) {
      const kinds: Array<'simple' | 'integer'> = [];
      const mapping: Record<number, unknown> = { ...config.getTypeMapping() };
      Object.defineProperty(mapping, simple!, {
        enumerable: true,
        get: () => (kinds.push('simple'), String),
      });
      Object.defineProperty(mapping, integer!, {
        enumerable: true,
        get: () => (kinds.push('integer'), String),
      });
      const retag = (value: unknown): unknown => {
        if (typeof value === 'string') return kinds.shift() === 'integer' ? BigInt(value) : value;
        if (Array.isArray(value)) return value.map(retag);
        return value;
      };
      super({
        ...config,
        getTypeMapping: () => mapping,
        onReply: (reply: unknown) => {
          const tagged = retag(reply);
          kinds.length = 0;
          config.onReply(tagged);
        },
        onErrorReply: (error: unknown) => {
          kinds.length = 0;
          config.onErrorReply(error);
        },
      });
      // the base constructor copied the mapping once (for push replies): not a reply
      kinds.length = 0;
    }
  }
  decoder.Decoder = TaggingDecoder;
  return true;
}
tagRedisStatusReplies();

function redisNodes(reply: unknown, out: RedisNode[] = []): RedisNode[] {
  if (reply === null || reply === undefined) out.push({ tag: 'nil' });
  else if (typeof reply === 'bigint') out.push({ tag: 'integer', val: reply });
  else if (typeof reply === 'number') out.push({ tag: 'integer', val: BigInt(Math.trunc(reply)) });
  else if (typeof reply === 'string') out.push({ tag: 'simple', val: reply });
  else if (reply instanceof Uint8Array) out.push({ tag: 'bulk', val: ownBytes(reply) });
  else if (reply instanceof Error) out.push({ tag: 'error', val: reply.message });
  else if (Array.isArray(reply)) {
    out.push({ tag: 'array', val: reply.length });
    for (const item of reply) redisNodes(item, out);
  } else out.push({ tag: 'bulk', val: ownBytes(Buffer.from(String(reply))) });
  return out;
}

const isReplyError = (error: unknown): error is Error => error instanceof Error && error.name === 'ReplyError';

class RedisSession {
  readonly kind = 'redis';
  private readonly client: Redis;
  private ready: Promise<void> | undefined;
  private lastError: unknown;
  /** AUTH and SELECT, sent by us rather than by ioredis, which only logs their failure and carries on (on database 0, or unauthenticated). */
  private readonly handshake: Uint8Array[][] = [];

  constructor(
    private readonly what: string,
    grant: ConnectionGrant,
    timeoutMs: number,
  ) {
    const { host, port, user, password, database } = endpoint(grant);
    const options: RedisOptions = {
      lazyConnect: true,
      // fail fast: no queue while disconnected, no retries, no reconnection (the next call opens a new client)
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      autoResubscribe: false,
      enableReadyCheck: false,
      connectTimeout: timeoutMs,
      // RESP2: the reply shapes redis-node describes (no maps, doubles, big numbers)
      protocol: 2,
    };
    if (grant.socket !== undefined) options.path = grant.socket;
    else {
      if (host !== undefined) options.host = host;
      if (port !== undefined) options.port = port;
    }
    if (grant.url !== undefined && new URL(grant.url).protocol === 'rediss:') options.tls = {};
    const word = (value: string) => Buffer.from(value);
    if (password !== undefined) this.handshake.push(user !== undefined ? [word('AUTH'), word(user), word(password)] : [word('AUTH'), word(password)]);
    if (database !== undefined && database !== '0') this.handshake.push([word('SELECT'), word(database)]);
    this.client = new Redis(options);
    this.client.on('error', (error: unknown) => {
      this.lastError = error;
    });
  }

  private async open(): Promise<void> {
    await this.client.connect();
    for (const args of this.handshake) {
      const [reply] = await this.send(args);
      if (reply?.tag === 'error') {
        const refused = new Error(reply.val);
        refused.name = 'ReplyError';
        throw refused;
      }
    }
  }

  private async send(args: Uint8Array[]): Promise<RedisNode[]> {
    const [name, ...rest] = args;
    // Upper case: ioredis keys its own per-command argument and reply rewriting by lower-case names; we want the wire as sent.
    const command = new Command(
      Buffer.from(name!).toString('latin1').replace(/[a-z]+/g, (s) => s.toUpperCase()),
      rest.map((arg) => Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength)),
      { replyEncoding: null },
    );
    command.transformReply = (reply) => reply;
    this.client.sendCommand(command);
    try {
      return redisNodes(await command.promise);
    } catch (error) {
      // An error reply is an answer, not a failure of the capability.
      if (isReplyError(error)) return [{ tag: 'error', val: error.message }];
      throw error;
    }
  }

  async command(args: Uint8Array[]): Promise<RedisNode[]> {
    this.ready ??= this.open();
    await this.ready;
    return this.send(args);
  }

  classify(error: unknown): Classified {
    const cause = this.client.status === 'ready' ? error : (this.lastError ?? error);
    if (isReplyError(cause)) {
      // refused while connecting (AUTH, SELECT): the server's error, coded by its prefix (WRONGPASS, ERR)
      const message = cause.message;
      return new Classified({ tag: 'database', val: { code: message.split(' ')[0] ?? 'ERR', message } }, true);
    }
    const network = networkError(this.what, cause);
    if (network) return network;
    if (this.client.status !== 'ready') return new Classified({ tag: 'unavailable', val: `${this.what}: ${messageOf(cause)}` }, true);
    return new Classified({ tag: 'failed', val: `${this.what}: ${messageOf(error)}` }, true);
  }

  abandon(): void {
    this.client.disconnect();
  }

  close(): Promise<unknown> {
    if (this.client.status !== 'ready') {
      this.client.disconnect();
      return Promise.resolve();
    }
    return this.client.quit().catch(() => this.client.disconnect());
  }
}

// ---------------------------------------------------------------------------
// Requests

type Session = PostgresSession | MysqlSession | RedisSession;

/** One client per connection name, opened at its first use. */
const sessions = new Map<string, Session>();

function sessionFor(name: string, grant: ConnectionGrant, timeoutMs: number): Session {
  let session = sessions.get(name);
  if (!session) {
    const what = `connection "${name}"`;
    session =
      grant.kind === 'postgresql'
        ? new PostgresSession(what, grant, timeoutMs)
        : grant.kind === 'mysql'
          ? new MysqlSession(what, grant, timeoutMs)
          : new RedisSession(what, grant, timeoutMs);
    sessions.set(name, session);
  }
  return session;
}

function drop(name: string, session: Session): void {
  if (sessions.get(name) === session) sessions.delete(name);
  session.abandon();
}

async function execute(request: Exclude<BridgeRequest, { op: 'close' }>): Promise<BridgeReply> {
  let session: Session | undefined;
  try {
    session = sessionFor(request.name, request.grant, request.timeoutMs);
    if (request.op === 'sql') {
      if (session.kind !== 'sql') throw new Error('not a SQL connection');
      return { ok: await session.query(request.statement, request.params) };
    }
    if (session.kind !== 'redis') throw new Error('not a Redis connection');
    return { ok: await session.command(request.args) };
  } catch (error) {
    if (!session) return { err: { tag: 'failed', val: `connection "${request.name}": ${messageOf(error)}` } };
    const classified = session.classify(error);
    if (classified.broken) drop(request.name, session);
    return { err: classified.error };
  }
}

async function withDeadline(request: Exclude<BridgeRequest, { op: 'close' }>): Promise<BridgeReply> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), request.timeoutMs);
  });
  const work = execute(request);
  const outcome = await Promise.race([work, expired]);
  clearTimeout(timer);
  if (outcome !== 'expired') return outcome;
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

runAsWorker((request: BridgeRequest): Promise<BridgeReply> => {
  if (request.op === 'close') return closeAll();
  // One request at a time, in order; the deadline bounds each, so the queue always moves.
  const reply = queue.then(() => withDeadline(request));
  queue = reply.catch(() => undefined);
  return reply.catch((error: unknown) => ({ err: { tag: 'failed', val: `connection "${request.name}": ${messageOf(error)}` } }));
});
