/// <reference path="./berth-datastore-types.d.ts" />
declare module 'berth:datastore/root@0.2.0' {
  /**
   * Enable root login with `password`; returns the credentials once.
   * A manager has no entropy source, so Berth's server always passes a
   * password: the caller's, or one it generated (36 random characters;
   * `default_password_length` sizes only the root password prepare gets
   * with root_on_create, not this one). `none` comes only from
   * other callers (`berth host --call`): a manager whose datastore can
   * generate one may use it (Redis: ACL GENPASS, of the guest option
   * `default_password_length`); the others answer invalid-argument.
   * Errors: invalid-argument (no password, or one the datastore
   * rejects), failed.
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
  export type ManagerError = import('berth:datastore/types@0.2.0').ManagerError;
  export interface RootCredentials {
    name: string,
    password: string,
  }
}
