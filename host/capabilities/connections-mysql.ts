import type { Readable } from 'node:stream';
import mysql from 'mysql2';
import type { ConnectionGrant } from '../config/guest-config.js';
import type { SqlResult, SqlValue } from '../generated/interfaces/berth-datastore-connections.js';
import { AccountRefused, accountRefusal, queryOf } from './connections-mysql-account.js';
import { Classified, codeOf, endpoint, integerCell, isoTimestamp, messageOf, networkError, ownBytes, type SqlSession } from './connections-session.js';
import { sqlSessionEffect } from './connections-session-state.js';

/** MySQL and MariaDB connections of the connections bridge, through mysql2. */
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
  serverStatus?: number;
}

/** Server status flags of an OK packet. */
const SERVER_STATUS_IN_TRANS = 1;
const SERVER_STATUS_AUTOCOMMIT = 2;
/** Errors meaning the server is ending the connection, not refusing the statement: ER_SERVER_SHUTDOWN, ER_CONNECTION_KILLED. */
const MY_CONNECTION_ENDING = new Set([1053, 1927]);

/** The server status of the last OK packet among a statement's results (CALL ends with one after its result sets), if any. */
function statusOf(rows: unknown): number | undefined {
  const header = Array.isArray(rows) ? rows[rows.length - 1] : rows;
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return undefined;
  const status = (header as MysqlHeader).serverStatus;
  return typeof status === 'number' ? status : undefined;
}

export class MysqlSession implements SqlSession {
  readonly kind = 'sql' as const;
  private readonly connection: mysql.Connection;
  private readonly options: mysql.ConnectionOptions;
  private ready: Promise<void> | undefined;
  private broken = false;
  private closed = false;
  private abandoned = false;
  /** As of the server's last OK packet: inside a transaction, or with autocommit off (each statement opens one). */
  private inTransaction = false;
  /** Session state set by a statement the manager sent (connections-session-state.ts). */
  private settings: string | undefined;

  constructor(
    private readonly what: string,
    private readonly grant: ConnectionGrant,
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
      // LOAD DATA LOCAL INFILE makes the client (this host) read a file the statement names and
      // send it: never offered. mysql2 also refuses it without an infileStreamFactory, which is never given.
      flags: ['-LOCAL_FILES'],
    };
    this.connection = mysql.createConnection(this.options);
    this.connection.on('error', () => {
      this.broken = true;
    });
    this.connection.on('end', () => {
      this.closed = true;
    });
  }

  get lost(): boolean {
    return this.broken || this.closed;
  }

  heldState(): string | undefined {
    return this.inTransaction ? 'an open transaction' : this.settings;
  }

  connect(): Promise<void> {
    this.ready ??= this.open();
    return this.ready;
  }

  async query(statement: string, params: SqlValue[]): Promise<SqlResult> {
    await this.connect();
    // noted before it is sent: once it may have reached the server, the session may hold what it set
    this.settings ??= sqlSessionEffect(statement);
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
    // a result set carries no status: a SELECT neither opens nor ends a transaction (with autocommit on)
    const status = statusOf(rows);
    if (status !== undefined) this.inTransaction = (status & SERVER_STATUS_IN_TRANS) !== 0 || (status & SERVER_STATUS_AUTOCOMMIT) === 0;
    return mysqlResult(rows, fields);
  }

  /** Log in, then refuse an account that reaches the server's files. */
  private async open(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.connection.connect((error) => (error ? reject(error) : resolve())));
    const refusal = await accountRefusal(queryOf(this.connection), this.grant);
    if (refusal !== undefined) throw new AccountRefused(refusal);
  }

  wire(): Readable | undefined {
    return (this.connection as unknown as { stream?: Readable }).stream;
  }

  classify(error: unknown): Classified {
    if (error instanceof AccountRefused) return new Classified({ tag: 'denied', val: `${this.what}: ${error.message}` }, true);
    const { sqlState, fatal, errno } = error as { sqlState?: unknown; fatal?: unknown; errno?: unknown };
    const ending = typeof errno === 'number' && MY_CONNECTION_ENDING.has(errno);
    // the connection itself failed: nothing of it runs on the server any more (abandon sends no KILL)
    if (fatal === true || ending) this.broken = true;
    const network = networkError(this.what, error);
    if (network) {
      this.broken = true;
      return network;
    }
    if (ending) return new Classified({ tag: 'unavailable', val: `${this.what}: ${messageOf(error)}` }, true);
    const broken = this.broken;
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
    const gone = this.lost;
    this.broken = true;
    const threadId = this.connection.threadId;
    this.connection.destroy();
    // A connection the server closed has no statement running there; and after a restart its thread id may be
    // another connection's on the new server (ids start again from 1), which a KILL would end.
    if (gone) return;
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
