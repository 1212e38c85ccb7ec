/**
 * Every operation of the berth:datastore contract, by exported interface, in
 * contract (kebab-case) names. A test checks this list against wit/, so it
 * cannot drift; the SDK, `berth inspect` and the server all read it.
 */
export const CONTRACT_VERSION = '0.2.0';
export const CONTRACT = `berth:datastore@${CONTRACT_VERSION}` as const;

/**
 * Contract versions a host still loads. 0.1.0 differs from 0.2.0 only in its
 * manifest, which has no `parameters`; every interface and operation is the
 * same, and jco's glue looks imports up without their version, so one host
 * serves both. A 0.1.0 manager's manifest reads with `parameters: []`.
 */
export const LOADABLE_CONTRACT_VERSIONS = ['0.1.0', CONTRACT_VERSION] as const;
export const LOADABLE_CONTRACTS = LOADABLE_CONTRACT_VERSIONS.map((version) => `berth:datastore@${version}`) as [string, ...string[]];

export const OPERATIONS_BY_INTERFACE = {
  lifecycle: ['prepare', 'restart', 'stop-db', 'start-db-with-conf-changes', 'status', 'pre-upgrade', 'post-upgrade'],
  databases: ['create-databases', 'list-databases', 'delete-database'],
  users: [
    'create-users',
    'list-users',
    'get-user',
    'delete-user',
    'change-passwords',
    'update-attributes',
    'grant-access',
    'revoke-access',
    'list-access',
  ],
  root: ['enable-root', 'disable-root', 'is-root-enabled', 'get-root-password'],
  backup: ['create-backup', 'restore-backup'],
  volume: ['get-filesystem-stats', 'mount-volume', 'unmount-volume', 'resize-fs'],
  configuration: ['update-overrides', 'apply-overrides', 'reset-configuration'],
  replication: [
    'backup-required-for-replication',
    'get-replication-snapshot',
    'attach-replica',
    'detach-replica',
    'get-replica-context',
    'make-read-only',
    'enable-as-master',
    'demote-replication-master',
    'get-last-txn',
    'get-latest-txn-id',
    'wait-for-txn',
  ],
  'guest-log': ['guest-log-list', 'guest-log-action', 'guest-log-read'],
} as const;

export type OperationInterface = keyof typeof OPERATIONS_BY_INTERFACE;
export type OperationName = (typeof OPERATIONS_BY_INTERFACE)[OperationInterface][number];

export const OPERATION_INTERFACES = Object.keys(OPERATIONS_BY_INTERFACE) as OperationInterface[];

export const ALL_OPERATIONS: readonly OperationName[] = OPERATION_INTERFACES.flatMap(
  (iface) => OPERATIONS_BY_INTERFACE[iface] as readonly OperationName[],
);

/** "create-databases" -> "createDatabases": the JavaScript name jco and componentize use. */
export function camelName(kebab: string): string {
  return kebab.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function isOperationName(name: string): name is OperationName {
  return (ALL_OPERATIONS as readonly string[]).includes(name);
}

export function interfaceOf(operation: OperationName): OperationInterface {
  for (const iface of OPERATION_INTERFACES) {
    if ((OPERATIONS_BY_INTERFACE[iface] as readonly string[]).includes(operation)) return iface;
  }
  throw new Error(`unknown operation ${operation}`);
}
