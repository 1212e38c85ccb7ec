import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, startTestServer, waitFor, type StartedTestServer, type TestServer } from '../../support/server.js';

// Issue 17: a datastore that keeps its credentials inside its data (the fixture "credentials",
// as etcd's auth store) must, restored from a backup, run with the source instance's local
// secrets, or its manager cannot log in. The server keeps them with the backup record only.
const TOKEN = 'acme-token-0123456789';
let setup: StartedTestServer;
let server: TestServer;

beforeAll(async () => {
  setup = await startTestServer({
    name: 'restore-secrets',
    projects: { acme: TOKEN },
    managers: { credentials: 'credentials' },
    timeouts: { report_interval: 0.2, heartbeat_expiry: 10 },
    datastores: [
      {
        name: 'credentials',
        server: { usage_timeout: 60 },
        guest: { mount_point: '/var/lib/credentials' },
        local: { secrets: ['admin_password'] },
        versions: [{ name: '1', manager: 'credentials' }],
      },
    ],
  });
  server = setup.server;
}, 300_000);
afterAll(() => setup?.cleanup());

const api = (method: string, path: string, body?: unknown) => apiRequest(server.url, TOKEN, method, `/v1.0/acme${path}`, body);

async function settled(name: string, restorePoint?: { backupRef: string }): Promise<{ id: string; status: string; fault?: unknown }> {
  const created = await api('POST', '/instances', { instance: { name, datastore: { type: 'credentials' }, ...(restorePoint ? { restorePoint } : {}) } });
  expect(created.status).toBe(200);
  const id = created.body.instance.id as string;
  const shown = await waitFor(() => api('GET', `/instances/${id}`), (r) => r.body.instance.status !== 'BUILD', `instance ${name} to leave BUILD`, 60_000);
  return shown.body.instance;
}

/** The admin_password the local provisioner wrote into the instance's guest config. */
function adminPassword(instanceId: string): string {
  const config = parse(readFileSync(join(setup.dir, 'instances', instanceId, 'guest.toml'), 'utf8')) as { options: Record<string, unknown> };
  const value = config.options.admin_password;
  if (typeof value !== 'string') throw new Error(`instance ${instanceId}'s guest.toml has no admin_password`);
  return value;
}

function secretsColumn(backupId: string): string | null {
  const db = new SqliteDatabase(join(setup.dir, 'berth.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT secrets FROM backups WHERE id = ?').get(backupId) as { secrets: string | null }).secrets;
  } finally {
    db.close();
  }
}

describe('a restored instance runs with the secrets of the instance its backup was taken of', () => {
  let sourceId: string;
  let sourcePassword: string;
  let backupId: string;

  it('records the source instance\'s local secrets with the backup, not in its REST view or its artifact', async () => {
    const source = await settled('source');
    expect(source.status).toBe('ACTIVE');
    sourceId = source.id;
    sourcePassword = adminPassword(sourceId);
    expect(sourcePassword.length).toBeGreaterThanOrEqual(24);

    const created = await api('POST', '/backups', { backup: { name: 'nightly', instance: sourceId } });
    expect(created.status).toBe(202);
    backupId = created.body.backup.id;
    const done = await waitFor(() => api('GET', `/backups/${backupId}`), (r) => !['NEW', 'BUILDING'].includes(r.body.backup?.status), 'the backup', 60_000);
    expect(done.body.backup.status).toBe('COMPLETED');

    expect(await server.store.backups.secretsOf(backupId)).toEqual({ admin_password: sourcePassword });
    for (const view of [created.body, done.body, (await api('GET', '/backups')).body, (await api('GET', `/instances/${sourceId}/backups`)).body]) {
      expect(JSON.stringify(view)).not.toContain(sourcePassword);
    }
    expect(readFileSync(join(setup.dir, 'backups', `${backupId}.backup`), 'utf8')).not.toContain(sourcePassword);
  });

  it('creates the instance from the backup with the source\'s admin_password: its manager logs in to the restored data', async () => {
    const restored = await settled('restored', { backupRef: backupId });
    // with a fresh password the fixture's prepare is refused (denied) and the instance shows ERROR
    expect(restored).toMatchObject({ status: 'ACTIVE' });
    expect(adminPassword(restored.id)).toBe(sourcePassword);
  });

  it('gives an instance created without a backup a fresh admin_password', async () => {
    const fresh = await settled('fresh');
    expect(fresh.status).toBe('ACTIVE');
    const password = adminPassword(fresh.id);
    expect(password).not.toBe(sourcePassword);
    expect(password.length).toBeGreaterThanOrEqual(24);
  });

  it('forgets the secrets when the backup is deleted', async () => {
    expect(secretsColumn(backupId)).not.toBeNull();
    expect((await api('DELETE', `/backups/${backupId}`)).status).toBe(202);
    expect(secretsColumn(backupId)).toBeNull();
    expect(await server.store.backups.secretsOf(backupId)).toEqual({});
  });
});
