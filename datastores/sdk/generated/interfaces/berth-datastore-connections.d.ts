/// <reference path="./berth-datastore-types.d.ts" />
declare module 'berth:datastore/connections@0.2.0' {
  /**
   * Run one SQL statement with positional parameters ($1 for PostgreSQL,
   * ? for MySQL) on a PostgreSQL or MySQL-family connection.
   * Errors: denied (connection not granted, or not a SQL connection),
   * unavailable (cannot connect), database (the server's error with its
   * SQLSTATE), timeout, failed.
   */
  export function sqlQuery(connection: string, statement: string, params: Array<SqlValue>): SqlResult;
  /**
   * Send one Redis command (name and arguments as bytes) and return its
   * reply. An error reply is a `redis-node.error`, not a capability error.
   * Errors: denied, unavailable, timeout, failed.
   */
  export function redisCommand(connection: string, arguments: Array<Uint8Array>): Array<RedisNode>;
  export type CapabilityError = import('berth:datastore/types@0.2.0').CapabilityError;
  /**
   * A SQL parameter or column value.
   */
  export type SqlValue = SqlValueNull | SqlValueBoolean | SqlValueInteger | SqlValueFloat | SqlValueText | SqlValueBytes;
  export interface SqlValueNull {
    tag: 'null',
  }
  export interface SqlValueBoolean {
    tag: 'boolean',
    val: boolean,
  }
  export interface SqlValueInteger {
    tag: 'integer',
    val: bigint,
  }
  export interface SqlValueFloat {
    tag: 'float',
    val: number,
  }
  export interface SqlValueText {
    tag: 'text',
    val: string,
  }
  export interface SqlValueBytes {
    tag: 'bytes',
    val: Uint8Array,
  }
  export interface SqlResult {
    columns: Array<string>,
    rows: Array<Array<SqlValue>>,
    /**
     * Rows changed by INSERT/UPDATE/DELETE; 0 for other statements.
     */
    affectedRows: bigint,
  }
  /**
   * One node of a Redis reply, flattened in pre-order because WIT has no
   * recursive types: `array(n)` is followed by its n elements.
   */
  export type RedisNode = RedisNodeNil | RedisNodeInteger | RedisNodeSimple | RedisNodeBulk | RedisNodeError | RedisNodeArray;
  export interface RedisNodeNil {
    tag: 'nil',
  }
  export interface RedisNodeInteger {
    tag: 'integer',
    val: bigint,
  }
  export interface RedisNodeSimple {
    tag: 'simple',
    val: string,
  }
  export interface RedisNodeBulk {
    tag: 'bulk',
    val: Uint8Array,
  }
  export interface RedisNodeError {
    tag: 'error',
    val: string,
  }
  export interface RedisNodeArray {
    tag: 'array',
    val: number,
  }
}
