/// <reference path="./berth-datastore-types.d.ts" />
declare module 'berth:datastore/users@0.2.0' {
  /**
   * Create each user and grant it its databases.
   * Errors: invalid-argument, already-exists, not-found (a database), failed.
   */
  export function createUsers(users: Array<NewUser>): void;
  /**
   * List users in (name, host) order, leaving out the datastore's own
   * (the guest option `ignore_users`). Errors: invalid-argument (bad marker), failed.
   */
  export function listUsers(paging: Paging): UserPage;
  /**
   * Read one user. Errors: not-found, failed.
   */
  export function getUser(user: UserRef): User;
  /**
   * Drop one user. Errors: not-found, invalid-argument (an ignored user), failed.
   */
  export function deleteUser(user: UserRef): void;
  /**
   * Set new passwords. Errors: not-found (names the user), failed.
   */
  export function changePasswords(changes: Array<PasswordChange>): void;
  /**
   * Rename, re-host or re-password one user.
   * Errors: not-found, already-exists (new name taken), failed.
   */
  export function updateAttributes(user: UserRef, attributes: UserAttributes): void;
  /**
   * Grant the user full access to each database.
   * Errors: not-found (user or database), failed.
   */
  export function grantAccess(user: UserRef, databases: Array<string>): void;
  /**
   * Revoke the user's access to one database. Errors: not-found, failed.
   */
  export function revokeAccess(user: UserRef, database: string): void;
  /**
   * Databases the user can access. Errors: not-found, failed.
   */
  export function listAccess(user: UserRef): Array<Database>;
  export type ManagerError = import('berth:datastore/types@0.2.0').ManagerError;
  export type User = import('berth:datastore/types@0.2.0').User;
  export type NewUser = import('berth:datastore/types@0.2.0').NewUser;
  export type UserRef = import('berth:datastore/types@0.2.0').UserRef;
  export type UserPage = import('berth:datastore/types@0.2.0').UserPage;
  export type PasswordChange = import('berth:datastore/types@0.2.0').PasswordChange;
  export type UserAttributes = import('berth:datastore/types@0.2.0').UserAttributes;
  export type Paging = import('berth:datastore/types@0.2.0').Paging;
  export type Database = import('berth:datastore/types@0.2.0').Database;
}
