import type { Readable } from 'node:stream';
import pg from 'pg';
import type { ConnectionGrant } from '../config/guest-config.js';
import type { SqlResult, SqlValue } from '../generated/interfaces/berth-datastore-connections.js';
import { bootstrapRole, roleRefusal, RoleRefused, wantsBootstrap } from './connections-postgres-role.js';
import { Classified, endpoint, integerCell, isoTimestamp, messageOf, networkError, ownBytes, type SqlSession } from './connections-session.js';
import { sqlSessionEffect } from './connections-session-state.js';

/** PostgreSQL connections of the connections bridge, through pg. */
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
/** cannot_connect_now: starting up, in recovery after a crash, or shutting down; worth waiting out at a restart. */
const PG_NOT_SERVING = '57P03';

export class PostgresSession implements SqlSession {
  readonly kind = 'sql' as const;
  private client: pg.Client;
  private readonly config: pg.ClientConfig;
  private ready: Promise<void> | undefined;
  private broken = false;
  private closed = false;
  /** Session state set by a statement the manager sent (connections-session-state.ts). */
  private settings: string | undefined;

  constructor(
    private readonly what: string,
    private readonly grant: ConnectionGrant,
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
    this.config = config;
    this.client = this.newClient();
  }

  private newClient(): pg.Client {
    const client = new pg.Client(this.config);
    // Without a listener, an idle connection dropped by the server would crash this thread.
    client.on('error', () => {
      this.broken = true;
    });
    client.on('end', () => {
      this.closed = true;
    });
    return client;
  }

  get lost(): boolean {
    return this.broken || this.closed;
  }

  heldState(): string | undefined {
    // 'T' in a transaction, 'E' in a failed one: as of the server's last ReadyForQuery
    const transaction = this.client.getTransactionStatus();
    if (transaction === 'T' || transaction === 'E') return 'an open transaction';
    return this.settings;
  }

  connect(): Promise<void> {
    this.ready ??= this.open();
    return this.ready;
  }

  /** Log in (creating the role first if the grant says how), then refuse a role that reaches the server's files. */
  private async open(): Promise<void> {
    try {
      await this.client.connect();
    } catch (error) {
      if (!wantsBootstrap(error, this.grant)) throw error;
      await bootstrapRole(this.grant, this.config);
      this.client = this.newClient();
      await this.client.connect();
    }
    const refusal = await roleRefusal(this.client);
    if (refusal !== undefined) throw new RoleRefused(refusal);
  }

  async query(statement: string, params: SqlValue[]): Promise<SqlResult> {
    await this.connect();
    const values = params.map(pgParam);
    // noted before it is sent: once it may have reached the server, the session may hold what it set
    this.settings ??= sqlSessionEffect(statement);
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
    if (error instanceof RoleRefused) return new Classified({ tag: 'denied', val: `${this.what}: ${error.message}` }, true);
    if (error instanceof pg.DatabaseError && error.code) {
      const broken = this.broken;
      if (error.code === '57014') return new Classified({ tag: 'timeout', val: `${this.what}: ${error.message}` }, broken);
      if (PG_UNAVAILABLE.has(error.code)) return new Classified({ tag: 'unavailable', val: `${this.what}: ${error.message}` }, true, error.code === PG_NOT_SERVING);
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

  wire(): Readable | undefined {
    // pg keeps its socket on the connection object, which its types do not declare
    return (this.client as unknown as { connection?: { stream?: Readable } }).connection?.stream;
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
