import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../server/store/kysely-store.js';
import type { Store } from '../../../server/store/store.js';
import { postgresEngine, sqliteEngine } from '../../support/databases.js';

// The source instance's local secrets kept with a backup record (migration 0006): readable by the
// server for restores, never part of a BackupRecord, dropped when the backup FAILS or is DELETED.
describe.each([sqliteEngine(), postgresEngine()])('backup secrets in the store on $name', (engine) => {
  let opened: Store | undefined;
  let setupError: unknown;

  beforeAll(async () => {
    try {
      opened = await openStore(await engine.create());
    } catch (error) {
      setupError = error;
    }
  });
  afterAll(async () => {
    await opened?.close();
    await engine.destroy();
  });

  function store(): Store {
    if (opened === undefined) throw new Error(`${engine.name} store could not be set up: ${String(setupError)}`, { cause: setupError });
    return opened;
  }

  async function backupWith(secrets?: Record<string, string>): Promise<string> {
    const project = randomUUID();
    const instance = await store().instances.create({
      id: randomUUID(), project, name: 'source', datastore: 'redis', datastoreVersion: '7', status: 'ACTIVE', tokenSha256: 'a'.repeat(64), securityRules: [], buildDeadline: new Date(),
    });
    const backup = await store().backups.create({ id: randomUUID(), project, instanceId: instance.id, name: 'nightly', description: null, datastore: 'redis', datastoreVersion: '7', parentId: null, secrets });
    expect(JSON.stringify(backup)).not.toContain('s3cret');
    expect(JSON.stringify(await store().backups.list(project))).not.toContain('s3cret');
    return backup.id;
  }

  it('keeps the secrets recorded at create while the backup is usable', async () => {
    const id = await backupWith({ admin_password: 's3cret-one', bootstrap_password: 's3cret-two' });
    await store().backups.update(id, { state: 'BUILDING' });
    await store().backups.update(id, { state: 'COMPLETED', format: 'f', metadata: '[]' });
    expect(await store().backups.secretsOf(id)).toEqual({ admin_password: 's3cret-one', bootstrap_password: 's3cret-two' });
  });

  it('drops them when the backup is DELETED or FAILED', async () => {
    const deleted = await backupWith({ admin_password: 's3cret-one' });
    await store().backups.update(deleted, { state: 'DELETED' });
    expect(await store().backups.secretsOf(deleted)).toEqual({});
    // and a later state change does not bring them back
    await store().backups.update(deleted, { state: 'COMPLETED' });
    expect(await store().backups.secretsOf(deleted)).toEqual({});
    const failed = await backupWith({ admin_password: 's3cret-one' });
    await store().backups.update(failed, { state: 'FAILED', fault: 'no' });
    expect(await store().backups.secretsOf(failed)).toEqual({});
  });

  it('answers none for a backup recorded without secrets, or unknown', async () => {
    expect(await store().backups.secretsOf(await backupWith())).toEqual({});
    expect(await store().backups.secretsOf(randomUUID())).toEqual({});
  });
});
