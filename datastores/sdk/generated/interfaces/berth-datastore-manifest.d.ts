declare module 'berth:datastore/manifest@0.2.0' {
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
  /**
   * The type of a configuration parameter's value.
   * # Variants
   * 
   * ## `"integer"`
   * 
   * ## `"string"`
   * 
   * ## `"boolean"`
   * 
   * ## `"float"`
   */
  export type ParameterType = 'integer' | 'string' | 'boolean' | 'float';
  /**
   * A bound of a numeric parameter: integers bound integers, floats bound floats.
   */
  export type ParameterBound = ParameterBoundInteger | ParameterBoundFloat;
  export interface ParameterBoundInteger {
    tag: 'integer',
    val: bigint,
  }
  export interface ParameterBoundFloat {
    tag: 'float',
    val: number,
  }
  /**
   * A configuration setting the manager's `update-overrides` accepts (Trove's
   * validation rules). The server checks every configuration group against
   * these before any guest call and serves them to clients.
   */
  export interface ParameterRule {
    /**
     * The setting's name as the datastore spells it ("max_connections", "maxmemory-policy").
     */
    name: string,
    type: ParameterType,
    /**
     * Inclusive bounds of an integer or float parameter; none = unbounded.
     */
    min?: ParameterBound,
    max?: ParameterBound,
    /**
     * For a string parameter: the only values accepted; empty = any string.
     */
    allowedValues: Array<string>,
    /**
     * True when a change takes effect only after the datastore restarts.
     */
    restartRequired: boolean,
    description?: string,
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
     * The contract it implements: "berth:datastore@0.2.0".
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
    /**
     * The configuration parameters it accepts (since 0.2.0; a manager
     * built for 0.1.0 declares none and the server checks nothing).
     */
    parameters: Array<ParameterRule>,
  }
}
