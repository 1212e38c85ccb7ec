import { ManagerError } from './errors.js';

/**
 * Managers reach their datastore only through granted connections. The
 * StarlingMonkey engine keeps a `fetch` whose wasi:http import is stubbed to
 * trap; replace it, so an attempt is a `denied` answer and not a dead instance.
 */
const global = globalThis as { fetch?: unknown };
if (typeof global.fetch === 'function') {
  global.fetch = () => {
    throw ManagerError.denied('network access: managers reach their datastore through granted connections only');
  };
}
