import { stringify } from 'smol-toml';
import { guestConfigSchema, type GuestConfig } from '../../host/config/guest-config.js';
import type { DatastoreVersion } from '../registry/registry.js';

/** What the provisioner decides for one guest: where things are on that server, and what the manager may touch. */
export interface GuestPlacement {
  /** Where the manager .wasm is on the guest (the image builder's path, or the registry's for local guests). */
  managerPath: string;
  grants: GuestConfig['grants'];
  /** Guest options that depend on the machine (e.g. a local instance's own mount_point). */
  optionOverrides?: Record<string, string | number | boolean | string[]>;
  host?: Partial<GuestConfig['host']>;
  /** Where clients reach the datastore (host:port), when the provisioner decides it. */
  endpoint?: string;
}

export interface GuestIdentity {
  instanceId: string;
  token: string;
  serverUrl: string;
  caFile?: string;
}

/**
 * The guest config for one instance: guest-side options only (the server-side
 * ones never leave the server), the manager pinned by sha256, the instance's
 * token, and the provisioner's grants. Validated with the host's own schema,
 * so the server can never hand out a config the host would refuse.
 */
export function renderGuestConfig(version: DatastoreVersion, identity: GuestIdentity, placement: GuestPlacement, reportIntervalSeconds: number): GuestConfig {
  const config = guestConfigSchema.parse({
    guest: { instance_id: identity.instanceId, server_url: identity.serverUrl, token: identity.token, ...(identity.caFile ? { ca_file: identity.caFile } : {}) },
    manager: { path: placement.managerPath, sha256: version.manager.sha256 },
    options: { ...version.guest, ...placement.optionOverrides },
    grants: placement.grants,
    host: { report_interval: reportIntervalSeconds, ...placement.host },
  });
  return config;
}

/** The config as the TOML file a guest reads. */
export function guestConfigToml(config: GuestConfig): string {
  return `# Berth guest config for instance ${config.guest.instance_id}; written by the server.\n${stringify(config)}`;
}
