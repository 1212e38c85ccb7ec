import { sqlQuery, redisCommand, type SqlValue, type RedisNode } from 'berth:datastore/connections@0.2.0';
import { ManagerError } from '../errors.js';
import { callCapability } from './call.js';
import { utf8 } from '../utf8.js';
import { big, wire64 } from '../engine.js';

export type SqlParam = null | undefined | boolean | number | bigint | string | Uint8Array;
export type SqlCell = null | boolean | number | bigint | string | Uint8Array;
export type SqlRow = Record<string, SqlCell>;

export interface QueryResult {
  columns: string[];
  rows: SqlRow[];
  affectedRows: number;
}

/** A number when it is exact as one, a bigint otherwise. */
function safeInteger(value: bigint | number): number | bigint {
  const wide = big(value);
  return wide >= BigInt(Number.MIN_SAFE_INTEGER) && wide <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(wide) : wide;
}

function toSqlValue(value: SqlParam): SqlValue {
  if (value === null || value === undefined) return { tag: 'null' };
  if (typeof value === 'boolean') return { tag: 'boolean', val: value };
  if (typeof value === 'bigint') return { tag: 'integer', val: wire64(value) as bigint };
  if (typeof value === 'number') return Number.isInteger(value) ? { tag: 'integer', val: wire64(value) as bigint } : { tag: 'float', val: value };
  if (typeof value === 'string') return { tag: 'text', val: value };
  return { tag: 'bytes', val: value };
}

function fromSqlValue(value: SqlValue): SqlCell {
  switch (value.tag) {
    case 'null':
      return null;
    case 'integer':
      return safeInteger(value.val);
    default:
      return value.val;
  }
}

export interface SqlConnection {
  /** Run one statement; parameters are positional ($1 in PostgreSQL, ? in MySQL). */
  query(statement: string, params?: readonly SqlParam[]): QueryResult;
}

/** A granted SQL connection, by the name the guest config gives it. */
export function sql(connection: string): SqlConnection {
  return {
    query(statement, params = []) {
      const result = callCapability(`connection "${connection}"`, () => sqlQuery(connection, statement, params.map(toSqlValue)));
      const rows = result.rows.map((cells) => {
        const row: SqlRow = {};
        result.columns.forEach((column, index) => {
          const cell = cells[index];
          row[column] = cell === undefined ? null : fromSqlValue(cell);
        });
        return row;
      });
      return { columns: result.columns, rows, affectedRows: Number(big(result.affectedRows)) };
    },
  };
}

export type RedisReply = null | number | bigint | string | RedisReply[];


/** Rebuild the nested reply from its pre-order encoding (WIT has no recursive types). */
export function decodeRedisReply(nodes: readonly RedisNode[]): RedisReply {
  let position = 0;
  const next = (): RedisReply => {
    const node = nodes[position++];
    if (node === undefined) throw ManagerError.failed('truncated Redis reply');
    switch (node.tag) {
      case 'nil':
        return null;
      case 'integer':
        return safeInteger(node.val);
      case 'simple':
        return node.val;
      case 'bulk':
        return utf8.decode(node.val);
      case 'error':
        throw ManagerError.failed(`Redis replied ${node.val}`);
      case 'array':
        return Array.from({ length: node.val }, next);
    }
  };
  return next();
}

export interface RedisConnection {
  /** Send one command; bulk replies come back as UTF-8 text, an error reply throws `failed`. */
  command(...args: Array<string | number | Uint8Array>): RedisReply;
}

/** A granted Redis connection, by the name the guest config gives it. */
export function redis(connection: string): RedisConnection {
  return {
    command(...args) {
      const encoded = args.map((arg) => (arg instanceof Uint8Array ? arg : utf8.encode(String(arg))));
      return decodeRedisReply(callCapability(`connection "${connection}"`, () => redisCommand(connection, encoded)));
    },
  };
}
