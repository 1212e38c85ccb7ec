/**
 * The one catalogue of Berth errors. Every error that leaves a process (API
 * response, RPC error, CLI exit) carries one of these stable codes; callers and
 * tests branch on the code, never on the text, which may improve over time.
 */
export interface ErrorDefinition {
  /** HTTP status when the error leaves the REST API. */
  readonly status: number;
  /** Process exit code when the error ends a CLI command. */
  readonly exitCode: number;
  readonly summary: string;
}

const usage = { status: 400, exitCode: 2 } as const;
const input = { status: 422, exitCode: 3 } as const;
const internal = { status: 500, exitCode: 1 } as const;

export const ERRORS = {
  BERTH_ERR_USAGE: { ...usage, summary: 'the command line is not valid' },
  BERTH_ERR_FILE_NOT_FOUND: { ...usage, summary: 'a file named on the command line does not exist' },
  BERTH_ERR_CONFORMANCE_FAILED: { status: 422, exitCode: 4, summary: 'the manager failed checks of the conformance scenario (the report names each)' },

  BERTH_ERR_WASM_INVALID: { ...input, summary: 'the file is not a WebAssembly binary' },
  BERTH_ERR_WASM_CORE_MODULE: { ...input, summary: 'the file is a core WebAssembly module, not a component' },
  BERTH_ERR_WASM_WRONG_WORLD: { ...input, summary: 'the component does not implement the berth:datastore manager world' },
  BERTH_ERR_WASM_UNGRANTABLE_IMPORT: { ...input, summary: 'the component imports an interface Berth never grants' },
  BERTH_ERR_MANIFEST_INVALID: { ...input, summary: 'the manager manifest is missing or malformed' },
  BERTH_ERR_MANAGER_TRAPPED: { ...input, summary: 'the manager trapped while it was being described' },

  BERTH_ERR_BUILD_ENTRY: { ...input, summary: 'the manager entry file cannot be bundled' },
  BERTH_ERR_BUILD_TYPES: { ...input, summary: 'the manager does not typecheck against the contract' },
  BERTH_ERR_BUILD_BACKEND: { ...usage, summary: 'the component backend is unknown or unavailable' },
  BERTH_ERR_BUILD_COMPONENTIZE: { ...input, summary: 'the bundled manager could not be turned into a component' },
  BERTH_ERR_SCAFFOLD_NOT_EMPTY: { ...usage, summary: 'berth new-manager was given a directory that is not empty' },

  BERTH_ERR_CONFIG_NOT_FOUND: { ...usage, summary: 'the config file cannot be read' },
  BERTH_ERR_CONFIG_INVALID: { ...input, summary: 'the config file is not valid' },
  BERTH_ERR_TRANSPILE_UNAVAILABLE: { ...input, summary: 'the manager is not in the transpile cache and this guest host has no jco to transpile it' },
  BERTH_ERR_WASM_SHA256_MISMATCH: { ...input, summary: 'the manager file does not have the sha256 the config pins' },
  BERTH_ERR_GRANTS_MISSING: { ...input, summary: 'the manager needs grants its config does not give' },
  BERTH_ERR_LOCAL_GRANTS_MISSING: { ...input, summary: "a datastore's manager needs grants its [datastores.local] block of the server config does not give: the server does not start" },

  BERTH_ERR_CALL_TRAPPED: { status: 502, exitCode: 1, summary: 'the manager trapped during the call; a fresh instance replaced it' },
  BERTH_ERR_CALL_TIMEOUT: { status: 504, exitCode: 1, summary: "the call exceeded its deadline (the host's host.call_timeout / host.slow_call_timeout, or the server's timeouts.quick_call / slow_call, as its details say); a fresh instance replaced the manager" },
  BERTH_ERR_MEMORY_LIMIT: { status: 502, exitCode: 1, summary: "the manager reached its memory ceiling (host.memory_limit); a fresh instance replaced it" },
  BERTH_ERR_CALL_INTERRUPTED: { status: 502, exitCode: 1, summary: 'the guest host stopped while running the operation; its outcome is unknown and it was not run again' },
  BERTH_ERR_SANDBOX_FAILED: { status: 500, exitCode: 1, summary: 'the manager sandbox could not start' },
  BERTH_ERR_PAYLOAD_TOO_LARGE: { status: 413, exitCode: 3, summary: "a call's arguments or the manager's answer are larger than the guest host sends or runs (host.result_limit)" },

  BERTH_ERR_RPC_DISCONNECTED: { status: 503, exitCode: 1, summary: 'the connection to the peer closed before the answer came' },
  BERTH_ERR_RPC_TIMEOUT: { status: 504, exitCode: 1, summary: 'the peer did not answer before the deadline' },
  BERTH_ERR_RPC_REMOTE: { status: 502, exitCode: 1, summary: 'the peer answered with an error' },
  BERTH_ERR_RPC_HANDSHAKE: { status: 401, exitCode: 1, summary: 'the guest handshake was refused' },

  BERTH_ERR_STORE_UNAVAILABLE: { status: 503, exitCode: 1, summary: 'the database cannot be reached or migrated' },
  BERTH_ERR_STORE_CONFLICT: { status: 409, exitCode: 3, summary: 'the record conflicts with one stored: its id is taken, or a record it refers to does not exist' },
  BERTH_ERR_SERVER_STOPPING: { status: 503, exitCode: 1, summary: 'the server is stopping; accepted operations resume when it is back' },
  BERTH_ERR_UNAUTHORIZED: { status: 401, exitCode: 4, summary: 'no valid bearer token' },
  BERTH_ERR_TOKEN_EXPIRED: { status: 401, exitCode: 4, summary: 'the bearer token has expired' },
  BERTH_ERR_FORBIDDEN: { status: 403, exitCode: 4, summary: 'the token does not belong to this project' },
  BERTH_ERR_VALIDATION: { status: 400, exitCode: 3, summary: 'the request is not valid' },
  BERTH_ERR_BODY_TOO_LARGE: { status: 413, exitCode: 3, summary: 'the request body is larger than the server accepts' },
  BERTH_ERR_ROUTE_NOT_FOUND: { status: 404, exitCode: 3, summary: 'no such API path' },
  BERTH_ERR_DATASTORE_NOT_FOUND: { status: 404, exitCode: 3, summary: 'no such datastore or version' },

  BERTH_ERR_FLAVOR_NOT_FOUND: { status: 404, exitCode: 3, summary: 'no such flavor' },
  BERTH_ERR_VOLUME_NOT_RESIZABLE: { status: 400, exitCode: 3, summary: "this provisioner's volumes cannot be resized" },
  BERTH_ERR_FLAVOR_NOT_RESIZABLE: { status: 400, exitCode: 3, summary: "this provisioner cannot move an instance to another flavor" },
  BERTH_ERR_INSTANCE_NOT_FOUND: { status: 404, exitCode: 3, summary: 'no such instance in this project' },
  BERTH_ERR_INSTANCE_STATE: { status: 409, exitCode: 3, summary: 'the instance is not in a state for this operation' },
  BERTH_ERR_OPERATION_UNSUPPORTED: { status: 400, exitCode: 3, summary: "the instance's datastore manager does not support this operation" },
  BERTH_ERR_MANAGER_INVALID_ARGUMENT: { status: 400, exitCode: 3, summary: 'the datastore manager refused an argument' },
  BERTH_ERR_MANAGER_NOT_FOUND: { status: 404, exitCode: 3, summary: 'the datastore has no such object' },
  BERTH_ERR_MANAGER_ALREADY_EXISTS: { status: 409, exitCode: 3, summary: 'the datastore already has this object' },
  BERTH_ERR_MANAGER_DENIED: { status: 502, exitCode: 1, summary: "the manager needed a grant its guest config does not give" },
  BERTH_ERR_MANAGER_UNAVAILABLE: { status: 503, exitCode: 1, summary: 'the datastore is not in a state to serve this now' },
  BERTH_ERR_MANAGER_FAILED: { status: 502, exitCode: 1, summary: 'the datastore manager ran the operation and it failed' },

  BERTH_ERR_REPLICATION_ROLE: { status: 409, exitCode: 3, summary: 'the instance does not have the replication role this needs (not a replica, not a source, or a replica of a replica)' },
  BERTH_ERR_REPLICA_SOURCE: { status: 409, exitCode: 3, summary: 'the instance is the source of replicas: detach, delete or re-point them first' },
  BERTH_ERR_REPLICA_FENCED: { status: 409, exitCode: 3, summary: 'the instance was ejected from its replica set: it must never take writes as a second primary (delete it)' },
  BERTH_ERR_REPLICATION_FAILED: { status: 502, exitCode: 1, summary: 'a replication step (seed, attach, promote, eject) failed on a guest (the fault says which)' },

  BERTH_ERR_UPGRADE_VERSION: { status: 400, exitCode: 3, summary: "the datastore_version to upgrade to is not an active version of the instance's own datastore" },
  BERTH_ERR_UPGRADE_UNSUPPORTED: { status: 400, exitCode: 3, summary: "this provisioner cannot restart an instance's guest on another manager build" },
  BERTH_ERR_UPGRADE_FAILED: { status: 502, exitCode: 1, summary: 'the upgrade did not complete and the instance was rolled back to its version (the fault says why)' },
  BERTH_ERR_UPGRADE_INTERRUPTED: { status: 503, exitCode: 1, summary: 'the server restarted mid-upgrade and rolled the instance back to its version' },

  BERTH_ERR_BACKUP_NOT_FOUND: { status: 404, exitCode: 3, summary: 'no such backup in this project' },
  BERTH_ERR_BACKUP_STATE: { status: 409, exitCode: 3, summary: 'the backup is not in a state for this operation' },
  BERTH_ERR_ARTIFACT_TRANSFER: { status: 502, exitCode: 1, summary: 'a backup artifact could not be moved between guest and server' },
  BERTH_ERR_ARTIFACT_NOT_GRANTED: { status: 403, exitCode: 4, summary: "a guest asked for a backup artifact that no operation in flight on its instance names" },
  BERTH_ERR_ARTIFACT_TOO_LARGE: { status: 413, exitCode: 3, summary: 'a backup artifact is larger than the server accepts (backups.max_bytes)' },
  BERTH_ERR_GUEST_CLOCK_SKEW: { status: 400, exitCode: 1, summary: "a guest's cast is dated further ahead of the server's clock than timeouts.clock_skew allows" },
  BERTH_ERR_ARTIFACT_CHECKSUM: { status: 422, exitCode: 1, summary: 'a backup artifact does not have the size and sha256 recorded for it' },

  BERTH_ERR_CONFIGURATION_NOT_FOUND: { status: 404, exitCode: 3, summary: 'no such configuration group in this project' },
  BERTH_ERR_CONFIGURATION_IN_USE: { status: 409, exitCode: 3, summary: 'the configuration group is attached to instances' },
  BERTH_ERR_CONFIGURATION_ATTACHED: { status: 409, exitCode: 3, summary: 'the instance has another configuration group attached' },
  BERTH_ERR_CONFIGURATION_VALUE_INVALID: { status: 400, exitCode: 3, summary: "a configuration value is not a parameter of the datastore version, or not of its type or range (the manager's rules)" },
  BERTH_ERR_PARAMETER_NOT_FOUND: { status: 404, exitCode: 3, summary: 'the datastore version has no such configuration parameter' },

  BERTH_ERR_GUEST_LOG_NOT_FOUND: { status: 404, exitCode: 3, summary: "the instance's datastore has no log of this name" },
  BERTH_ERR_GUEST_LOG_ACTION_INVALID: { status: 400, exitCode: 3, summary: 'the log action is not valid (enable and disable together, or enable or disable of a system log)' },
  BERTH_ERR_GUEST_LOG_NOT_PUBLISHED: { status: 404, exitCode: 3, summary: 'the log has no such publication (publish it first)' },

  BERTH_ERR_INTERNAL: { ...internal, summary: 'an unexpected internal error' },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERRORS, value);
}
