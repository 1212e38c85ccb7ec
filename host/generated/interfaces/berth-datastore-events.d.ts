/** @module Interface berth:datastore/events@0.2.0 **/
export function publish(event: Event): void;
export type ServiceStatus = import('./berth-datastore-types.js').ServiceStatus;
export interface Progress {
  /**
   * Contract name of the running operation ("create-backup").
   */
  operation: string,
  /**
   * 0-100 when known.
   */
  percent?: number,
  message: string,
}
export type Event = EventProgress | EventStatus;
/**
 * How far a long operation (prepare, backup, restore) has come.
 */
export interface EventProgress {
  tag: 'progress',
  val: Progress,
}
/**
 * The datastore's status changed outside a heartbeat (e.g. it crashed).
 */
export interface EventStatus {
  tag: 'status',
  val: ServiceStatus,
}
