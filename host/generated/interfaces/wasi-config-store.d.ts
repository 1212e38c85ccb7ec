/** @module Interface wasi:config/store@0.2.0-draft **/
/**
 * The value of `key`, or none when it is not set.
 */
export function get(key: string): string | undefined;
/**
 * Every key and value.
 */
export function getAll(): Array<[string, string]>;
/**
 * An error when reading configuration.
 */
export type Error = ErrorUpstream | ErrorIo;
/**
 * The store behind the configuration failed.
 */
export interface ErrorUpstream {
  tag: 'upstream',
  val: string,
}
/**
 * An I/O error while reading.
 */
export interface ErrorIo {
  tag: 'io',
  val: string,
}
