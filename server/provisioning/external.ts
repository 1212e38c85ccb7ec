import type { DatastoreVersion } from '../registry/registry.js';
import type { GuestPlacement } from '../instances/guest-config.js';
import type { InstanceRecord } from '../store/store.js';
import type { Provisioner } from './provisioner.js';

/**
 * The server creates the instance and returns its guest config; an image
 * builder or operator installs it beside the manager on a real server, whose
 * host then dials in. Nothing runs here, so nothing is stopped here either.
 */
export class ExternalProvisioner implements Provisioner {
  readonly kind = 'external';
  /** The image builder's volume is theirs: Berth cannot grow its device. */
  readonly volumesResizable = false;

  async placement(_instance: InstanceRecord, version: DatastoreVersion): Promise<GuestPlacement> {
    const mountPoint = typeof version.guest.mount_point === 'string' ? version.guest.mount_point : undefined;
    return {
      managerPath: version.manager.path,
      // the image decides the rest: by default the manager may manage its data directory only
      grants: { directories: mountPoint ? [{ host: mountPoint, guest: mountPoint, access: 'read-write' }] : [], programs: [], connections: {}, environment: {} },
    };
  }

  async provision(): Promise<void> {}

  async deprovision(): Promise<void> {}
}
