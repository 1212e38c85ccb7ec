import { z } from 'zod';
import { REGION } from '../../identity/keystone-views.js';
import type { InstanceRecord } from '../../store/store.js';
import { parseEndpoint } from '../../instances/endpoint.js';
import { links, linksSchema, type LinkRequest } from '../links.js';

/**
 * The instance bodies in Trove's shapes (trove/common/apischema.py, trove/instance/views.py).
 * Every field Trove's create takes is known here: those Berth acts on, and
 * those it cannot honour, refused naming the field rather than ignored.
 */
const NAME_MAX = 64;
const name = z.string().min(1).max(NAME_MAX);
export const databaseIn = z.strictObject({ name, character_set: z.string().optional(), collate: z.string().optional() });
export const userIn = z.strictObject({
  name,
  password: z.string().min(1),
  host: z.string().optional(),
  databases: z.array(z.strictObject({ name })).default([]),
});
// Trove takes the size as an integer or a string of digits
const volumeSize = z.union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]{0,8}$/).transform(Number)], { error: 'must be a whole number of GB, at least 1' });
const none = (field: string, why: string) => z.array(z.unknown()).max(0, `${field}: ${why}`).optional();

export const createBody = z.strictObject({
  instance: z.strictObject({
    name,
    // a replica's datastore is its source's: it may be left out then
    datastore: z.strictObject({ type: z.string().min(1), version: z.string().min(1).optional(), version_number: z.string().min(1).optional() }).optional(),
    databases: z.array(databaseIn).default([]),
    users: z.array(userIn).default([]),
    // Trove's volume type is Cinder's; a directory volume has none, so any is taken as the only one there is
    volume: z.strictObject({ size: volumeSize, type: z.string().nullish() }).optional(),
    restorePoint: z.strictObject({ backupRef: z.string().uuid() }).optional(),
    flavorRef: z.union([z.string().min(1).max(256), z.number().int().nonnegative()]).optional(),
    configuration: z.string().uuid().optional(),
    availability_zone: z.string().min(1).max(255).optional(),
    locality: z.enum(['affinity', 'anti-affinity']).optional(),
    region_name: z.literal(REGION, { error: `Berth has one region, ${REGION}` }).optional(),
    nics: none('nics', "Berth's provisioners choose the network; remove nics").default([]),
    modules: none('modules', 'Berth has no Trove modules; remove modules').default([]),
    replica_of: z.string().uuid({ error: 'replica_of: must be the id of an instance of this project' }).optional(),
    // Trove takes it as an integer; troveclient sends one
    /** Berth's: automatic failover of this instance when it is a source (docs/replication.md); the version's auto_failover when absent. */
    berth_auto_failover: z.boolean().optional(),
    replica_count: z.number({ error: 'replica_count: must be a whole number, at least 1' }).int('replica_count: must be a whole number, at least 1').min(1, 'replica_count: must be at least 1').max(10, 'replica_count: at most 10 replicas at once').optional(),
    access: z
      .strictObject({
        is_public: z.literal(false, { error: 'access.is_public: Berth gives no public addresses; instances are reachable where the provisioner puts them' }).optional(),
        allowed_cidrs: none('access.allowed_cidrs', 'Berth does not filter client addresses; restrict them with the host firewall').default([]),
      })
      .optional(),
  }).refine((instance) => instance.datastore !== undefined || instance.replica_of !== undefined, { error: 'datastore: required unless replica_of names the source', path: ['datastore'] })
    .refine((instance) => instance.replica_count === undefined || instance.replica_of !== undefined, { error: 'replica_count: only with replica_of', path: ['replica_count'] })
    // several replicas are named name-1 .. name-N (replica-plan.ts), each within the names' 64 characters
    .refine((instance) => (instance.replica_count ?? 1) === 1 || instance.name.length + `-${instance.replica_count}`.length <= NAME_MAX, {
      error: `name: with replica_count the replicas are named <name>-1 .. <name>-N, which must fit in ${NAME_MAX} characters; shorten the name`,
      path: ['name'],
    }),
});
export type CreateBody = z.output<typeof createBody>;

export const instanceView = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  service_status: z.string().nullable(),
  /** When the guest last reported its datastore's status (Trove's service_status_updated). */
  service_status_updated: z.string().nullable(),
  datastore: z.object({ type: z.string(), version: z.string() }),
  flavor: z.object({ id: z.string(), links: linksSchema }),
  volume: z.object({ size: z.number().nullable(), used: z.number().optional() }),
  links: linksSchema,
  region: z.string(),
  tenant_id: z.string(),
  created: z.string(),
  updated: z.string(),
  security_groups: z.array(z.object({ rules: z.array(z.object({ protocol: z.string(), from_port: z.number(), to_port: z.number(), cidr: z.string() })) })),
  fault: z.object({ message: z.string(), created: z.string() }).optional(),
  /** Where clients connect, when the provisioner knows it (Trove shows addresses and ip; the port is Berth's). */
  addresses: z.array(z.object({ address: z.string(), type: z.string() })).optional(),
  ip: z.array(z.string()).optional(),
  port: z.number().optional(),
  access: z.object({ is_public: z.boolean() }),
  configuration: z.object({ id: z.string(), name: z.string(), links: linksSchema }).optional(),
  /** On a replica: the instance it replicates from (Trove's replica_of). */
  replica_of: z.object({ id: z.string(), links: linksSchema }).optional(),
  /** On a source: the instances that replicate from it (Trove's replicas). */
  replicas: z.array(z.object({ id: z.string(), links: linksSchema })).optional(),
  /** Berth's: whether it is failed over automatically as a source; shown when on, or when set on the instance. */
  berth_auto_failover: z.boolean().optional(),
});

export interface ViewContext {
  request: LinkRequest;
  groups?: ReadonlyMap<string, string>;
  /** The flavor instances from before flavors are shown with. */
  defaultFlavorId: string;
  /** volume.used in GB, shown by GET of one instance (Trove's detail view). */
  volumeUsedGb?: number;
  /** The ids of the instances that replicate from this one. */
  replicas?: readonly string[];
  /** Automatic failover as it applies to this instance (its own setting, else its version's). */
  autoFailover?: boolean;
}

export function instanceViewOf(instance: InstanceRecord, context: ViewContext): z.infer<typeof instanceView> {
  const { request, groups } = context;
  const groupName = instance.configurationId === null ? undefined : groups?.get(instance.configurationId);
  const flavorId = instance.flavorId ?? context.defaultFlavorId;
  const endpoint = endpointView(instance.endpoint);
  return {
    id: instance.id,
    name: instance.name,
    status: instance.status,
    service_status: instance.serviceStatus,
    service_status_updated: instance.lastHeartbeatAt?.toISOString() ?? null,
    datastore: { type: instance.datastore, version: instance.datastoreVersion },
    flavor: { id: flavorId, links: links(request, instance.project, 'flavors', flavorId) },
    volume: { size: instance.volumeSize, ...(context.volumeUsedGb === undefined ? {} : { used: context.volumeUsedGb }) },
    links: links(request, instance.project, 'instances', instance.id),
    region: REGION,
    tenant_id: instance.project,
    created: instance.createdAt.toISOString(),
    updated: instance.updatedAt.toISOString(),
    security_groups: [{ rules: instance.securityRules }],
    ...(instance.fault ? { fault: { message: instance.fault, created: instance.updatedAt.toISOString() } } : {}),
    ...endpoint,
    ...(endpoint.addresses ? { ip: endpoint.addresses.map((a) => a.address) } : {}),
    access: { is_public: false },
    ...(instance.configurationId !== null && groupName !== undefined
      ? { configuration: { id: instance.configurationId, name: groupName, links: links(request, instance.project, 'configurations', instance.configurationId) } }
      : {}),
    ...(instance.replicaOf !== null ? { replica_of: { id: instance.replicaOf, links: links(request, instance.project, 'instances', instance.replicaOf) } } : {}),
    ...(context.autoFailover === true || instance.autoFailover !== null ? { berth_auto_failover: context.autoFailover ?? instance.autoFailover === true } : {}),
    ...(context.replicas && context.replicas.length > 0 ? { replicas: context.replicas.map((id) => ({ id, links: links(request, instance.project, 'instances', id) })) } : {}),
  };
}

function endpointView(endpoint: string | null): { addresses?: Array<{ address: string; type: string }>; port?: number } {
  const parsed = parseEndpoint(endpoint);
  return parsed ? { addresses: [{ address: parsed.host, type: 'private' }], port: parsed.port } : {};
}
