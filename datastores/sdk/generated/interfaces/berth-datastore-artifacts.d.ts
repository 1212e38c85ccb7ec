/// <reference path="./berth-datastore-types.d.ts" />
declare module 'berth:datastore/artifacts@0.2.0' {
  /**
   * Append a chunk to the artifact being written. Errors: denied, failed.
   */
  export function write(artifact: string, data: Uint8Array): void;
  /**
   * Read the next chunk, at most `max-bytes`; an empty list is the end.
   * Errors: denied, failed.
   */
  export function read(artifact: string, maxBytes: number): Uint8Array;
  export type CapabilityError = import('berth:datastore/types@0.2.0').CapabilityError;
}
