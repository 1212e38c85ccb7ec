import type { OperationName } from '../../datastores/sdk/operations.js';
import type { ApiClient, InstanceView } from '../cli/api-client.js';
import { CheckFailure, type CheckLog, waitFor } from './checks.js';
import type { PrivateServer } from './private-server.js';
import type { Endpoint, Probe } from './probes.js';

export interface ConformanceTimeouts {
  /** Create (prepare) or restore until ACTIVE. */
  activeMs: number;
  /** A backup until COMPLETED, a restart, stop or start until its status. */
  taskMs: number;
}

/** What the groups share: the server, the instance under test and what the scenario learnt about it so far. */
export interface ScenarioContext {
  server: PrivateServer;
  client: ApiClient;
  datastore: string;
  claims: ReadonlySet<OperationName>;
  probe: Probe | undefined;
  log: CheckLog;
  timeouts: ConformanceTimeouts;
  instanceId: string;
  /** Who the probe logs in as: root once enabled, else the probe user. */
  credentials?: { user: string; password: string };
  /** The database made for the probe, when the manager has databases. */
  probeDatabase?: string;
  /** The markers the probe wrote, each of which must still be there. */
  markers: string[];
}

export function claimsAll(context: ScenarioContext, operations: readonly OperationName[]): boolean {
  return operations.every((operation) => context.claims.has(operation));
}

/**
 * One check of operations the manifest claims; when it claims none of them
 * the group is unsupported, and when it claims only some the check runs and
 * the missing ones are what it fails on.
 */
export async function claimedCheck(context: ScenarioContext, group: string, operations: readonly OperationName[], check: string, body: () => Promise<string | void>): Promise<boolean> {
  const claimed = operations.filter((operation) => context.claims.has(operation));
  if (claimed.length === 0) {
    context.log.unsupported(group, operations[0]!, check);
    return false;
  }
  return context.log.run(group, operations.join(', '), check, body);
}

export async function instanceView(client: ApiClient, id: string): Promise<InstanceView> {
  return (await client.getInstance(id)).instance;
}

/** Polls the instance until it shows one of `statuses`; ERROR (or any status in `failOn`) fails at once with its fault. */
export function waitForStatus(context: ScenarioContext, id: string, statuses: readonly string[], timeoutMs: number, failOn: readonly string[] = ['ERROR']): Promise<InstanceView> {
  return waitFor(`instance ${id} to be ${statuses.join(' or ')}`, timeoutMs, async () => {
    const view = await instanceView(context.client, id);
    if (statuses.includes(view.status)) return view;
    if (failOn.includes(view.status)) throw new CheckFailure(`instance ${id} went ${view.status}${view.fault ? `: ${view.fault.message}` : ''}`, 'BERTH_CONFORMANCE_INSTANCE_STATE');
    return undefined;
  });
}

/** Where the probe reaches the instance's datastore, as whom. */
export async function endpointOf(context: ScenarioContext, id: string = context.instanceId): Promise<Endpoint> {
  const view = await instanceView(context.client, id);
  if (view.port === undefined) throw new CheckFailure(`instance ${id} shows no port, so the probe cannot reach its datastore`, 'BERTH_CONFORMANCE_NO_ENDPOINT');
  if (!context.credentials) throw new CheckFailure('no credentials for the probe: the manager claims neither enable-root nor create-users', 'BERTH_CONFORMANCE_NO_CREDENTIALS');
  return { host: view.addresses?.[0]?.address ?? '127.0.0.1', port: view.port, ...context.credentials, ...(context.probeDatabase ? { database: context.probeDatabase } : {}) };
}

/** The probe reads every marker written so far: the data survived whatever the check did. */
export async function expectMarkers(context: ScenarioContext, id: string = context.instanceId, markers: readonly string[] = context.markers): Promise<void> {
  if (!context.probe || markers.length === 0) return;
  const endpoint = await endpointOf(context, id);
  const held = await waitFor('the datastore to answer the probe', 30_000, async () => context.probe!.read(endpoint));
  const lost = markers.filter((marker) => !held.includes(marker));
  if (lost.length > 0) throw new CheckFailure(`the datastore lost ${lost.join(', ')} (it holds ${held.join(', ') || 'none'})`, 'BERTH_CONFORMANCE_DATA_LOST');
}
