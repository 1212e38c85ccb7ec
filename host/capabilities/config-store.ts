import type * as Store from '../generated/interfaces/wasi-config-store.js';

/**
 * wasi:config/store over the manager's guest options: read-only, and nothing
 * but the keys the guest config lists reaches the component.
 */
export function createConfigStore(options: Readonly<Record<string, string>>): typeof Store {
  const entries = Object.freeze(Object.entries(options).map(([key, value]) => [key, value] as [string, string]));
  const byKey = new Map(entries);
  return {
    get: (key) => byKey.get(key),
    getAll: () => entries.map(([key, value]) => [key, value]),
  };
}
