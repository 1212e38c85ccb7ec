import type { CapabilityError } from '../../host/generated/interfaces/berth-datastore-types.js';

/** The capability-error an import threw (jco's `{ payload }`), or a test failure. */
export function capabilityError(run: () => unknown): CapabilityError {
  try {
    run();
  } catch (thrown) {
    if (typeof thrown === 'object' && thrown !== null && 'payload' in thrown) return (thrown as { payload: CapabilityError }).payload;
    throw thrown;
  }
  throw new Error('expected a capability error, the call succeeded');
}

let sequence = 0;
/** A table, key or marker name no other test (or concurrent run) uses. */
export const unique = (prefix: string) => `${prefix}_${process.pid}_${Date.now().toString(36)}_${sequence++}`;

/** Redis arguments as the capability takes them. */
export const args = (...values: string[]) => values.map((value) => new TextEncoder().encode(value));
