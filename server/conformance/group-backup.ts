import { randomBytes } from 'node:crypto';
import { CheckFailure, expectThat, waitFor } from './checks.js';
import { claimedCheck, endpointOf, expectMarkers, instanceView, type ScenarioContext, waitForStatus } from './context.js';

const NO_PROBE = 'data not checked: no probe for this datastore (pass --probe-write and --probe-read)';

/** The probe writes a marker every later check (restart, stop and start, the restored copy) must find. */
export async function writeMarker(context: ScenarioContext): Promise<void> {
  if (!context.probe) {
    context.log.unsupported('data', 'probe', 'the probe writes and reads a marker (no probe for this datastore)');
    return;
  }
  await context.log.run('data', 'probe', `the probe writes and reads a marker (${context.probe.describe})`, async () => {
    const marker = `conformance-${randomBytes(6).toString('hex')}`;
    const endpoint = await endpointOf(context);
    await waitFor('the datastore to take the marker', 30_000, async () => {
      await context.probe!.write(endpoint, marker);
      return true;
    });
    context.markers.push(marker);
    await expectMarkers(context);
  });
}

/** Backup, then restore into a new instance; answers the restored instance's id for the delete checks. */
export async function backupChecks(context: ScenarioContext, onInstance: (id: string) => void): Promise<string | undefined> {
  const { client, instanceId: id } = context;
  let backupId: string | undefined;
  await claimedCheck(context, 'backup', ['create-backup'], 'a backup completes with a size and a checksum', async () => {
    const { backup } = await client.createBackup({ name: 'conformance', instance: id });
    const done = await waitFor(`backup ${backup.id} to complete`, context.timeouts.taskMs, async () => {
      const { backup: now } = await client.getBackup(backup.id);
      if (now.status === 'FAILED' || now.status === 'ERROR') throw new CheckFailure(`backup ${backup.id} ${now.status}${now.fault ? `: ${now.fault.message}` : ''}`, 'BERTH_CONFORMANCE_BACKUP_FAILED');
      return now.status === 'COMPLETED' ? now : undefined;
    });
    expectThat((done.size_bytes ?? 0) > 0, `the completed backup's size is ${String(done.size_bytes)}`);
    backupId = backup.id;
    await waitForStatus(context, id, ['ACTIVE'], context.timeouts.taskMs);
  });
  if (!backupId) {
    if (!context.claims.has('create-backup')) context.log.unsupported('backup', 'restore-backup', 'restore into a new instance');
    return undefined;
  }
  let restoredId: string | undefined;
  const from = backupId;
  await claimedCheck(context, 'backup', ['restore-backup'], 'a new instance restored from the backup holds the data', async () => {
    const view = await instanceView(client, id);
    const { instance } = await client.createInstance({ name: 'conformance-restored', datastore: { type: view.datastore.type, version: view.datastore.version }, restorePoint: { backupRef: from } });
    restoredId = instance.id;
    onInstance(instance.id);
    await waitForStatus(context, instance.id, ['ACTIVE'], context.timeouts.activeMs);
    if (!context.probe || context.markers.length === 0) return NO_PROBE;
    // the restored copy's root password is its own: enable root there to log in
    const saved = context.credentials;
    try {
      if (context.claims.has('enable-root')) {
        const { user } = await client.enableRoot(instance.id);
        context.credentials = { user: user.name, password: user.password };
      }
      await expectMarkers(context, instance.id);
    } finally {
      context.credentials = saved;
    }
    return undefined;
  });
  return restoredId;
}
