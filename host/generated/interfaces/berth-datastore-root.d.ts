/** @module Interface berth:datastore/root@0.2.0 **/
/**
 * Enable root login, with `password` or a generated one of the guest
 * option `default_password_length`. Returns the credentials once.
 * Errors: invalid-argument (password the datastore rejects), failed.
 */
export function enableRoot(password: string | undefined): RootCredentials;
/**
 * Disable root login. Errors: failed.
 */
export function disableRoot(): void;
/**
 * Whether root login is enabled. Errors: failed.
 */
export function isRootEnabled(): boolean;
/**
 * The root password the guest keeps, for datastores that must keep one
 * (none when root is disabled). Errors: failed.
 */
export function getRootPassword(): string | undefined;
export type ManagerError = import('./berth-datastore-types.js').ManagerError;
export interface RootCredentials {
  name: string,
  password: string,
}
