/** @module Interface berth:datastore/types@0.2.0 **/
/**
 * A free-form key/value pair, used only where the payload is genuinely
 * datastore-specific (replication extras, upgrade hand-over, backup metadata).
 */
export interface KeyValue {
  key: string,
  value: string,
}
export interface InvalidArgument {
  /**
   * The argument or option key, e.g. "databases[1].character-set" or "mount_point".
   */
  field: string,
  message: string,
}
export interface Failure {
  /**
   * The contract name of the operation that failed.
   */
  operation: string,
  /**
   * What went wrong, for the operator: never contains passwords.
   */
  detail: string,
}
/**
 * Why an operation did not succeed. Every exported operation returns
 * `result<T, manager-error>`; callers branch on the case, never on text.
 */
export type ManagerError = ManagerErrorUnsupported | ManagerErrorInvalidArgument | ManagerErrorNotFound | ManagerErrorAlreadyExists | ManagerErrorDenied | ManagerErrorUnavailable | ManagerErrorFailed;
/**
 * The manager does not implement this operation. Carries the
 * operation's contract name, e.g. "create-databases". The server
 * answers this from the manifest without calling the guest.
 */
export interface ManagerErrorUnsupported {
  tag: 'unsupported',
  val: string,
}
/**
 * An argument or a guest option is wrong; `field` names it and
 * `message` says what a valid value looks like.
 */
export interface ManagerErrorInvalidArgument {
  tag: 'invalid-argument',
  val: InvalidArgument,
}
/**
 * The named object (database, user, backup, log, replica...) does not exist.
 */
export interface ManagerErrorNotFound {
  tag: 'not-found',
  val: string,
}
/**
 * The named object already exists.
 */
export interface ManagerErrorAlreadyExists {
  tag: 'already-exists',
  val: string,
}
/**
 * The manager needed a capability (path, program, connection) that its
 * guest config does not grant. Carries what was refused.
 */
export interface ManagerErrorDenied {
  tag: 'denied',
  val: string,
}
/**
 * The datastore is not in a state to serve the request (stopped,
 * starting, read-only...). Retrying later may succeed.
 */
export interface ManagerErrorUnavailable {
  tag: 'unavailable',
  val: string,
}
/**
 * Anything else: the operation ran and failed.
 */
export interface ManagerErrorFailed {
  tag: 'failed',
  val: Failure,
}
export interface DatabaseError {
  /**
   * SQLSTATE for PostgreSQL and MySQL ("42P04", "HY000"), the error
   * prefix for Redis ("WRONGPASS", "ERR").
   */
  code: string,
  message: string,
}
/**
 * Error of a capability import (exec, connections, artifacts).
 */
export type CapabilityError = CapabilityErrorDenied | CapabilityErrorInvalid | CapabilityErrorUnavailable | CapabilityErrorDatabase | CapabilityErrorTimeout | CapabilityErrorFailed;
/**
 * The guest config does not grant this program, directory,
 * connection or artifact. Carries what was refused.
 */
export interface CapabilityErrorDenied {
  tag: 'denied',
  val: string,
}
/**
 * The request itself is malformed (relative program path, bad UTF-8...).
 */
export interface CapabilityErrorInvalid {
  tag: 'invalid',
  val: string,
}
/**
 * The resource exists in the grant but cannot be reached now
 * (datastore not listening, socket missing).
 */
export interface CapabilityErrorUnavailable {
  tag: 'unavailable',
  val: string,
}
/**
 * The datastore answered with an error: SQLSTATE or server error code.
 */
export interface CapabilityErrorDatabase {
  tag: 'database',
  val: DatabaseError,
}
/**
 * The call exceeded its deadline.
 */
export interface CapabilityErrorTimeout {
  tag: 'timeout',
  val: string,
}
/**
 * Any other host-side failure.
 */
export interface CapabilityErrorFailed {
  tag: 'failed',
  val: string,
}
/**
 * The datastore service as the manager's probe sees it (Trove's service statuses
 * that a guest can observe; FAILED_TIMEOUT_GUESTAGENT is the server's own).
 * # Variants
 * 
 * ## `"new"`
 * 
 * ## `"building"`
 * 
 * ## `"running"`
 * 
 * ## `"healthy"`
 * 
 * ## `"shutdown"`
 * 
 * ## `"crashed"`
 * 
 * ## `"failed"`
 * 
 * ## `"blocked"`
 * 
 * ## `"paused"`
 * 
 * ## `"restart-required"`
 * 
 * ## `"unknown"`
 */
export type ServiceStatus = 'new' | 'building' | 'running' | 'healthy' | 'shutdown' | 'crashed' | 'failed' | 'blocked' | 'paused' | 'restart-required' | 'unknown';
/**
 * Paging in the shape Trove users know: at most `limit` items after
 * `marker` (or starting at it when `include-marker`).
 */
export interface Paging {
  limit?: number,
  marker?: string,
  includeMarker: boolean,
}
/**
 * A logical database (a MySQL schema, a PostgreSQL database).
 */
export interface Database {
  name: string,
  /**
   * Character set or encoding; none = the datastore default.
   */
  characterSet?: string,
  /**
   * Collation; none = the datastore default.
   */
  collation?: string,
}
export interface DatabasePage {
  items: Array<Database>,
  /**
   * Pass as `paging.marker` to get the next page; none on the last page.
   */
  nextMarker?: string,
}
/**
 * A user as listed or read back: never carries a password.
 */
export interface User {
  name: string,
  /**
   * Host pattern for datastores that qualify users by host ("%",
   * "10.0.0.%"); none where the datastore has no such notion.
   */
  host?: string,
  /**
   * Databases the user has access to.
   */
  databases: Array<string>,
}
/**
 * A user to create.
 */
export interface NewUser {
  name: string,
  host?: string,
  password: string,
  /**
   * Databases to grant access to on creation.
   */
  databases: Array<string>,
}
/**
 * Names one user: (name, host) is the identity for host-qualified datastores.
 */
export interface UserRef {
  name: string,
  host?: string,
}
export interface UserPage {
  items: Array<User>,
  nextMarker?: string,
}
export interface PasswordChange {
  user: UserRef,
  password: string,
}
/**
 * New values for an existing user; none = leave unchanged.
 */
export interface UserAttributes {
  name?: string,
  host?: string,
  password?: string,
}
/**
 * A configuration value, typed so that managers need not guess from text.
 */
export type ConfigValue = ConfigValueText | ConfigValueInteger | ConfigValueFloat | ConfigValueBoolean;
export interface ConfigValueText {
  tag: 'text',
  val: string,
}
export interface ConfigValueInteger {
  tag: 'integer',
  val: bigint,
}
export interface ConfigValueFloat {
  tag: 'float',
  val: number,
}
export interface ConfigValueBoolean {
  tag: 'boolean',
  val: boolean,
}
export interface ConfigOverride {
  key: string,
  value: ConfigValue,
}
