import type { GuestConfig } from '../../host/config/guest-config.js';
import type { DatastoreVersion } from '../registry/registry.js';
import type { InstanceRecord } from '../store/store.js';
import type { GuestIdentity, GuestPlacement } from '../instances/guest-config.js';

export interface ProvisionResult {
  guestConfig: GuestConfig;
  /** The guest config as a file, for provisioners that hand it to an operator. */
  guestConfigToml: string;
}

/** What placement takes beside the instance and its version. */
export interface PlacementInputs {
  /** Secret guest options (name -> value) to keep instead of generating: the restored backup's. */
  secrets?: Readonly<Record<string, string>>;
}

/**
 * Where instances run. `local` runs each guest host on this machine;
 * `external` hands the guest config to whoever installs the server; a cloud
 * provisioner (Nova, Kubernetes) implements the same three steps.
 */
export interface Provisioner {
  readonly kind: 'local' | 'external' | string;
  /** Where this provisioner puts the manager, its data and its grants for this instance. */
  placement(instance: InstanceRecord, version: DatastoreVersion, inputs?: PlacementInputs): Promise<GuestPlacement>;
  /**
   * The secret guest options the provisioner generated for this instance
   * (name -> value), recorded with each of its backups so that an instance
   * restored from one runs with them. Provisioners that generate none leave it out.
   */
  secretsOf?(instance: InstanceRecord, version: DatastoreVersion): Promise<Record<string, string>>;
  /** Start (or hand over) the guest with its rendered config. */
  provision(instance: InstanceRecord, result: ProvisionResult, identity: GuestIdentity): Promise<void>;
  /**
   * Whether an instance's volume can grow (Trove's resize volume, the
   * manager's resize-fs after the provisioner grew the device). Neither
   * Berth provisioner has such volumes today.
   */
  readonly volumesResizable: boolean;
  /** Bytes the instance's volume holds, when the provisioner can see it; for Trove's volume.used. */
  volumeUsedBytes?(instance: InstanceRecord): Promise<number | undefined>;
  /**
   * Restart the guest's host on another manager build (Trove's upgrade):
   * the same guest config, its [manager] pinned to this path and sha256.
   * Provisioners that cannot do that leave it out and upgrades are refused.
   */
  swapManager?(instance: InstanceRecord, manager: { path: string; sha256: string }): Promise<void>;
  /** Stop the guest and remove its resources; idempotent. */
  deprovision(instance: InstanceRecord): Promise<void>;
}
