import { asCapabilityError } from '../errors.js';

/** Run a capability import, turning its `err` into a CapabilityError. */
export function callCapability<T>(capability: string, call: () => T): T {
  try {
    return call();
  } catch (thrown) {
    throw asCapabilityError(capability, thrown);
  }
}
