/// <reference path="./berth-datastore-types.d.ts" />
declare module 'berth:datastore/guest-log@0.2.0' {
  /**
   * Logs this datastore has. Errors: failed.
   */
  export function guestLogList(): Array<GuestLogInfo>;
  /**
   * Enable, disable, publish or discard one log.
   * Errors: not-found, invalid-argument (action not valid for a system log), failed.
   */
  export function guestLogAction(name: string, action: LogAction): GuestLogInfo;
  /**
   * Read at most `max-bytes` of a log from `offset`.
   * Errors: not-found, invalid-argument (offset past the end), failed.
   */
  export function guestLogRead(name: string, offset: bigint, maxBytes: number): LogChunk;
  export type ManagerError = import('berth:datastore/types@0.2.0').ManagerError;
  /**
   * # Variants
   * 
   * ## `"user"`
   * 
   * A log the user may enable and publish (slow query, general).
   * ## `"system"`
   * 
   * A log the operator always has (error log).
   */
  export type LogKind = 'user' | 'system';
  /**
   * # Variants
   * 
   * ## `"disabled"`
   * 
   * ## `"enabled"`
   * 
   * ## `"unavailable"`
   * 
   * ## `"published"`
   * 
   * ## `"partial"`
   * 
   * ## `"rotated"`
   * 
   * ## `"restart-required"`
   */
  export type LogStatus = 'disabled' | 'enabled' | 'unavailable' | 'published' | 'partial' | 'rotated' | 'restart-required';
  /**
   * # Variants
   * 
   * ## `"enable"`
   * 
   * ## `"disable"`
   * 
   * ## `"publish"`
   * 
   * ## `"discard"`
   */
  export type LogAction = 'enable' | 'disable' | 'publish' | 'discard';
  export interface GuestLogInfo {
    name: string,
    kind: LogKind,
    status: LogStatus,
    /**
     * Current size in bytes.
     */
    size: bigint,
    /**
     * Bytes already published (read out by the server).
     */
    published: bigint,
  }
  /**
   * A piece of a log, read in order; bytes because logs need not be UTF-8.
   */
  export interface LogChunk {
    data: Uint8Array,
    /**
     * Offset to pass to the next read.
     */
    nextOffset: bigint,
    /**
     * True when `data` reaches the current end of the log.
     */
    eof: boolean,
  }
}
