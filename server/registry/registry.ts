import { z } from 'zod';
import { datastoreId, datastoreVersionId } from './stable-ids.js';
import { DATASTORE_DEFAULTS, GENERIC_DEFAULTS } from './defaults.js';
import { guestOptionsSchema, serverOptionsSchema, type GuestOptions, type PortRange } from './options.js';
import { localPlacementSchema, mergeLocalPlacement, type LocalPlacement } from './local-placement.js';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (sha256sum of the .wasm)');
const name = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be lowercase letters, digits, ".", "_" or "-"');

const versionSchema = z.strictObject({
  name,
  /** The manager component for this version, pinned by sha256. */
  manager: z.strictObject({ path: z.string().refine((p) => p.startsWith('/'), 'must be an absolute path'), sha256 }),
  active: z.boolean().default(true),
  server: serverOptionsSchema.default({}),
  guest: guestOptionsSchema.default({}),
  local: localPlacementSchema.optional(),
});

/** A datastore as the server's config file defines it. */
export const datastoreConfigSchema = z.strictObject({
  name,
  default_version: name.optional(),
  server: serverOptionsSchema.default({}),
  guest: guestOptionsSchema.default({}),
  /** Read by the local provisioner only: see local-placement.ts. */
  local: localPlacementSchema.optional(),
  versions: z.array(versionSchema).min(1, 'a datastore needs at least one version'),
});
export type DatastoreConfig = z.input<typeof datastoreConfigSchema>;

export interface ServerOptions {
  tcp_ports: PortRange[];
  udp_ports: PortRange[];
  root_on_create: boolean;
  usage_timeout: number;
  backup_strategy: string;
  volume_support: boolean;
  device_path: string;
  /** Automatic failover of this version's sources (docs/replication.md). */
  auto_failover: boolean;
}

export interface DatastoreVersion {
  /** Trove's version id: a UUID from the datastore's and the version's names. */
  id: string;
  datastore: string;
  name: string;
  active: boolean;
  manager: { path: string; sha256: string };
  /** Defaults, then the datastore's table, then the version's: read by the server only. */
  server: ServerOptions;
  /** Same layering: written into the guest config only. */
  guest: GuestOptions;
  /** What the local provisioner grants this version's guests on this machine. */
  local: LocalPlacement;
}

export interface Datastore {
  /** Trove's datastore id: a UUID from the name. */
  id: string;
  name: string;
  defaultVersion: string;
  versions: DatastoreVersion[];
}

export interface SecurityGroupRule {
  protocol: 'tcp' | 'udp';
  from_port: number;
  to_port: number;
  cidr: string;
}

function toPorts(specs: ReadonlyArray<string | number | PortRange>): PortRange[] {
  return specs.map((spec) => (typeof spec === 'object' ? spec : serverOptionsSchema.parse({ tcp_ports: [spec] }).tcp_ports![0]!));
}

/**
 * Datastores and their versions, with each side's options resolved: Trove's
 * defaults for the datastore, overridden by the datastore's table, then by
 * the version's. The two sides are validated separately and never mixed.
 */
export class DatastoreRegistry {
  private readonly datastores = new Map<string, Datastore>();

  constructor(configs: ReadonlyArray<z.output<typeof datastoreConfigSchema>>) {
    for (const config of configs) {
      const defaults = DATASTORE_DEFAULTS[config.name] ?? GENERIC_DEFAULTS;
      const versions = config.versions.map((version): DatastoreVersion => {
        const server = { ...defaults.server, ...config.server, ...version.server };
        return {
          id: datastoreVersionId(config.name, version.name),
          datastore: config.name,
          name: version.name,
          active: version.active,
          manager: version.manager,
          server: { ...(server as Omit<ServerOptions, 'tcp_ports' | 'udp_ports'>), tcp_ports: toPorts(server.tcp_ports ?? []), udp_ports: toPorts(server.udp_ports ?? []), auto_failover: server.auto_failover === true },
          guest: { ...defaults.guest, ...config.guest, ...version.guest },
          local: mergeLocalPlacement(config.local, version.local),
        };
      });
      const defaultVersion = config.default_version ?? versions[0]!.name;
      if (!versions.some((v) => v.name === defaultVersion)) {
        throw new Error(`datastore ${config.name}: default_version ${defaultVersion} is not one of its versions (${versions.map((v) => v.name).join(', ')})`);
      }
      this.datastores.set(config.name, { id: datastoreId(config.name), name: config.name, defaultVersion, versions });
    }
  }

  list(): Datastore[] {
    return [...this.datastores.values()];
  }

  /** By name or by id, as Trove looks datastores up. */
  get(datastore: string): Datastore | undefined {
    return this.datastores.get(datastore) ?? [...this.datastores.values()].find((d) => d.id === datastore);
  }

  /** A version of a datastore (each by name or id); without a version, the default one. */
  version(datastore: string, version?: string): DatastoreVersion | undefined {
    const found = this.get(datastore);
    if (!found) return undefined;
    const wanted = version ?? found.defaultVersion;
    return found.versions.find((v) => v.name === wanted) ?? found.versions.find((v) => v.id === wanted);
  }

  /** A version by its id alone (Trove's GET /datastores/versions/{id}). */
  versionById(id: string): DatastoreVersion | undefined {
    for (const datastore of this.datastores.values()) {
      const found = datastore.versions.find((v) => v.id === id);
      if (found) return found;
    }
    return undefined;
  }
}

/** Security-group rules an instance of this version needs: one per port range and protocol. */
export function securityGroupRules(version: DatastoreVersion, cidr = '0.0.0.0/0'): SecurityGroupRule[] {
  return [
    ...version.server.tcp_ports.map((p) => ({ protocol: 'tcp' as const, from_port: p.from, to_port: p.to, cidr })),
    ...version.server.udp_ports.map((p) => ({ protocol: 'udp' as const, from_port: p.from, to_port: p.to, cidr })),
  ];
}
