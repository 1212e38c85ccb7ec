/// <reference path="./berth-datastore-types.d.ts" />
declare module 'berth:datastore/configuration@0.2.0' {
  /**
   * Persist overrides to the datastore's override file; with `remove` drop
   * those keys instead. Takes effect at the next start unless applied.
   * Errors: invalid-argument (unknown key or bad value, naming the key), failed.
   */
  export function updateOverrides(overrides: Array<ConfigOverride>, remove: boolean): void;
  /**
   * Apply overrides to the running datastore without a restart, where the
   * datastore can. Errors: invalid-argument, unavailable, failed.
   */
  export function applyOverrides(overrides: Array<ConfigOverride>): void;
  /**
   * Replace the whole configuration with `config-contents`, dropping overrides.
   * Errors: invalid-argument, failed.
   */
  export function resetConfiguration(configContents: string): void;
  export type ManagerError = import('berth:datastore/types@0.2.0').ManagerError;
  export type ConfigOverride = import('berth:datastore/types@0.2.0').ConfigOverride;
}
