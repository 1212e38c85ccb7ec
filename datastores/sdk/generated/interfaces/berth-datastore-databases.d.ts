/// <reference path="./berth-datastore-types.d.ts" />
declare module 'berth:datastore/databases@0.2.0' {
  /**
   * Create each database with its character set and collation.
   * Errors: invalid-argument (name, character set or collation the
   * datastore rejects, naming the list index), already-exists, failed.
   */
  export function createDatabases(databases: Array<Database>): void;
  /**
   * List user databases in name order, leaving out the datastore's own
   * (the guest option `ignore_dbs`). Errors: invalid-argument (bad marker), failed.
   */
  export function listDatabases(paging: Paging): DatabasePage;
  /**
   * Drop one database. Errors: not-found, invalid-argument (an ignored
   * system database), failed.
   */
  export function deleteDatabase(name: string): void;
  export type ManagerError = import('berth:datastore/types@0.2.0').ManagerError;
  export type Database = import('berth:datastore/types@0.2.0').Database;
  export type DatabasePage = import('berth:datastore/types@0.2.0').DatabasePage;
  export type Paging = import('berth:datastore/types@0.2.0').Paging;
}
