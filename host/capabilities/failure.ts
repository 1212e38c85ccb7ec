import type { CapabilityError } from '../generated/interfaces/berth-datastore-types.js';

/** How an import answers `err(capability-error)` through jco: throw `{ payload }`. */
export function capabilityFailure(error: CapabilityError): { payload: CapabilityError } {
  return { payload: error };
}

/** A denial: what the manager sees, and what the operator's log says. */
export interface DenialReporter {
  (capability: string, what: string): void;
}
