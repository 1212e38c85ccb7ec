import { BerthError } from '../../datastores/errors/berth-error.js';
import type { FlavorCatalog } from '../flavors/flavor-catalog.js';
import type { Provisioner } from '../provisioning/provisioner.js';
import type { InstanceRecord } from '../store/store.js';

export type ResizeChange = { volumeSize: number } | { flavorRef: string | number };

/**
 * Trove's resize. Growing a volume needs a provisioner that can grow the
 * device before the manager's resize-fs; moving to another flavor needs one
 * that can move the guest. Neither of Berth's provisioners can, so both are
 * refused before anything changes, saying so.
 */
export function refuseResize(instance: InstanceRecord, change: ResizeChange, flavors: FlavorCatalog, provisioner: Pick<Provisioner, 'kind' | 'volumesResizable'>): never {
  if ('flavorRef' in change) {
    const flavor = flavors.resolve(change.flavorRef);
    throw new BerthError('BERTH_ERR_FLAVOR_NOT_RESIZABLE', `instance ${instance.id} cannot move to flavor ${flavor.id}: the ${provisioner.kind} provisioner runs a guest where it was created`, 'create an instance with the new flavor from a backup of this one (POST /instances with flavorRef and restorePoint)');
  }
  if (instance.volumeSize !== null && change.volumeSize <= instance.volumeSize) {
    throw new BerthError('BERTH_ERR_VALIDATION', `resize.volume.size: ${change.volumeSize} GB is not larger than the volume's ${instance.volumeSize} GB`, 'a volume only grows: give a larger size');
  }
  if (!provisioner.volumesResizable) {
    throw new BerthError('BERTH_ERR_VOLUME_NOT_RESIZABLE', `instance ${instance.id}'s volume cannot be resized: the ${provisioner.kind} provisioner's volumes have no device to grow (a local volume is a directory that takes what its file system has)`, 'restore a backup into a new instance with the volume size you need, or free space on the host');
  }
  throw new BerthError('BERTH_ERR_VOLUME_NOT_RESIZABLE', 'no provisioner grows volumes yet', 'restore a backup into a new instance');
}
