/** @module Interface berth:datastore/lifecycle@0.2.0 **/
/**
 * Initialise, configure and start the datastore, then create the initial
 * databases and users. Must be safe to re-run after a crash part-way.
 * Errors: invalid-argument (bad request field or guest option), denied
 * (missing grant), failed.
 */
export function prepare(request: PrepareRequest): void;
/**
 * Restart the datastore process. Errors: unavailable, failed.
 */
export function restart(): void;
/**
 * Stop the datastore; with `disable-autostart` it must stay down across
 * reboots of the guest. Errors: failed.
 */
export function stopDb(disableAutostart: boolean): void;
/**
 * Write `config-contents` as the new configuration and start the datastore.
 * Errors: invalid-argument, failed.
 */
export function startDbWithConfChanges(configContents: string): void;
/**
 * The status probe: what the datastore is doing now. The host calls it for
 * every heartbeat, so it must be cheap and must not change anything.
 * Errors: failed (the probe itself could not run).
 */
export function status(): ServiceStatus;
/**
 * Before the guest image is replaced: save what must survive and return it;
 * the server hands it to `post-upgrade` on the new image.
 * Errors: failed.
 */
export function preUpgrade(): Array<KeyValue>;
/**
 * After the guest image was replaced, with what `pre-upgrade` returned.
 * Errors: invalid-argument, failed.
 */
export function postUpgrade(saved: Array<KeyValue>): void;
export type ManagerError = import('./berth-datastore-types.js').ManagerError;
export type ServiceStatus = import('./berth-datastore-types.js').ServiceStatus;
export type Database = import('./berth-datastore-types.js').Database;
export type NewUser = import('./berth-datastore-types.js').NewUser;
export type ConfigOverride = import('./berth-datastore-types.js').ConfigOverride;
export type KeyValue = import('./berth-datastore-types.js').KeyValue;
export type RestoreSource = import('./berth-datastore-backup.js').RestoreSource;
/**
 * Everything the server knows when it first hands an instance to its guest.
 */
export interface PrepareRequest {
  /**
   * Memory of the server, for sizing buffers.
   */
  memoryMb: number,
  /**
   * Extra packages the image builder asked for; managers may ignore them.
   */
  packages: Array<string>,
  /**
   * Databases to create once the datastore runs.
   */
  databases: Array<Database>,
  /**
   * Users to create once the datastore runs.
   */
  users: Array<NewUser>,
  /**
   * Block device of the data volume, when the server attached one.
   */
  devicePath?: string,
  /**
   * Where the data lives; the guest option `mount_point` when none.
   */
  mountPoint?: string,
  /**
   * Restore this backup instead of initialising an empty datastore.
   */
  backup?: RestoreSource,
  /**
   * A complete rendered configuration file, when the server has one.
   */
  configContents?: string,
  /**
   * Set the root (superuser) password, when root_on_create gave one.
   */
  rootPassword?: string,
  /**
   * Configuration overrides from an attached configuration group.
   */
  overrides: Array<ConfigOverride>,
}
