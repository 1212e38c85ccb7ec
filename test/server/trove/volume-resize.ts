import { expect } from 'vitest';
import type { TroveClients } from '../../support/trove-clients.js';

const REFUSED = 'BERTH_ERR_VOLUME_NOT_RESIZABLE';

/**
 * Trove's resize_volume through each unmodified client against the local
 * provisioner, whose volumes are directories with no device to grow: Berth
 * refuses it before anything changes, with HTTP 400 and its catalogue code in
 * what the client prints (the library raises BadRequest). The caller checks
 * that the instance is still ACTIVE with its data.
 */
export async function expectVolumeResizeRefused(clients: TroveClients, instance: string, size: number): Promise<void> {
  const osc = await clients.openstack(['database', 'instance', 'resize', 'volume', instance, String(size)], { json: false });
  expect(osc.code).not.toBe(0);
  expect(osc.stderr).toMatch(/HTTP 400/);
  expect(osc.stderr).toContain(REFUSED);

  const trove = await clients.trove(['resize-volume', instance, String(size)]);
  expect(trove.code).not.toBe(0);
  expect(trove.stderr).toMatch(/HTTP 400/);
  expect(trove.stderr).toContain(REFUSED);

  const library = await clients.library('instances.resize_volume', [instance, size]);
  expect(library.ok ? null : [library.failure.exception, library.failure.http_status]).toEqual(['BadRequest', 400]);
  expect(library.ok ? '' : library.failure.message).toContain(REFUSED);
}
