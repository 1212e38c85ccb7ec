declare module 'berth:datastore/manifest@0.1.0' {
  /**
   * The manifest. Cheap, pure and infallible: `berth inspect`, the build
   * and the host call it with no capability granted.
   */
  export function describe(): Manifest;
  /**
   * # Variants
   * 
   * ## `"read-only"`
   * 
   * ## `"read-write"`
   */
  export type Access = 'read-only' | 'read-write';
  /**
   * A program the manager wants to run. The guest config grants absolute
   * paths; the manager calls a program by that path or by its file name.
   */
  export interface ProgramRequest {
    /**
     * File name ("pg_ctl") or absolute path ("/usr/bin/redis-server").
     */
    program: string,
    purpose: string,
  }
  /**
   * A directory the manager wants preopened. `path` is a guest path; a
   * `{key}` in it stands for the guest option `key` (e.g. "{mount_point}").
   */
  export interface DirectoryRequest {
    path: string,
    access: Access,
    purpose: string,
  }
  /**
   * # Variants
   * 
   * ## `"postgresql"`
   * 
   * ## `"mysql"`
   * 
   * ## `"redis"`
   */
  export type ConnectionKind = 'postgresql' | 'mysql' | 'redis';
  /**
   * A named datastore connection the manager wants.
   */
  export interface ConnectionRequest {
    name: string,
    kind: ConnectionKind,
    purpose: string,
  }
  /**
   * A guest option the manager reads from `wasi:config/store`.
   */
  export interface OptionInfo {
    key: string,
    required: boolean,
    /**
     * The default as it would appear in the config store, when there is one.
     */
    defaultValue?: string,
  }
  export interface CapabilityRequests {
    programs: Array<ProgramRequest>,
    directories: Array<DirectoryRequest>,
    connections: Array<ConnectionRequest>,
    /**
     * Environment variable names the manager's programs need.
     */
    environment: Array<string>,
  }
  export interface Manifest {
    /**
     * Manager name, e.g. "berth-mysql".
     */
    name: string,
    /**
     * Manager version (semver).
     */
    version: string,
    /**
     * Datastores it serves, e.g. ["mysql", "percona", "mariadb"].
     */
    datastores: Array<string>,
    /**
     * The contract it implements: "berth:datastore@0.1.0".
     */
    contract: string,
    /**
     * Contract names of the operations it implements; every other one answers `unsupported`.
     */
    operations: Array<string>,
    /**
     * Guest options it reads.
     */
    options: Array<OptionInfo>,
    capabilities: CapabilityRequests,
  }
}
