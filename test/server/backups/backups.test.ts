import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, startTestServer, waitFor, type StartedTestServer, type TestServer } from '../../support/server.js';

const TOKENS = { acme: 'acme-token-0123456789', globex: 'globex-token-0123456789' };
let setup: StartedTestServer;
let server: TestServer;

beforeAll(async () => {
  setup = await startTestServer({
    name: 'backups',
    projects: TOKENS,
    managers: { backups: 'backups', counter: 'counter' },
    timeouts: { report_interval: 0.2, heartbeat_expiry: 10 },
    datastores: [
      { name: 'backups', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/payload' }, versions: [{ name: '1', manager: 'backups' }] },
      { name: 'counter', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/counter' }, versions: [{ name: '1', manager: 'counter' }] },
    ],
  });
  server = setup.server;
});
afterAll(() => setup?.cleanup());

const api = (method: string, path: string, body?: unknown, token: string | null = TOKENS.acme) => apiRequest(server.url, token, method, path, body);

async function activeInstance(name: string, datastore = 'backups', restorePoint?: { backupRef: string }): Promise<string> {
  const created = await api('POST', '/v1.0/acme/instances', { instance: { name, datastore: { type: datastore }, ...(restorePoint ? { restorePoint } : {}) } });
  expect(created.status).toBe(200);
  const id = created.body.instance.id as string;
  await waitFor(() => api('GET', `/v1.0/acme/instances/${id}`), (r) => r.body.instance.status !== 'BUILD', `instance ${name} to leave BUILD`, 60_000);
  expect((await api('GET', `/v1.0/acme/instances/${id}`)).body.instance.status).toBe('ACTIVE');
  return id;
}

const payloadOf = (id: string) => readFileSync(join(setup.dir, 'instances', id, 'volume', 'payload.bin'));
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

async function finished(backupId: string): Promise<any> {
  const shown = await waitFor(() => api('GET', `/v1.0/acme/backups/${backupId}`), (r) => !['NEW', 'BUILDING'].includes(r.body.backup?.status), `backup ${backupId} to finish`, 60_000);
  return shown.body.backup;
}

describe('backups through the API, the guest host and the server backup store', () => {
  let source: string;
  let backupId: string;

  it('takes a multi-chunk backup: streamed from the manager, stored with its size and sha256', async () => {
    source = await activeInstance('source');
    // 3 MiB and a bit: many 256 KiB artifact chunks, several HTTP chunks
    expect((await api('POST', `/v1.0/acme/instances/${source}/databases`, { databases: [{ name: 'bytes-3145728' }, { name: 'bytes-1000' }] })).status).toBe(202);
    const data = payloadOf(source);
    expect(data.length).toBe(3_146_728);

    const created = await api('POST', '/v1.0/acme/backups', { backup: { name: 'nightly', instance: source, description: 'first' } });
    expect(created.status).toBe(202);
    expect(created.body.backup).toMatchObject({ name: 'nightly', status: 'BUILDING', instance_id: source, description: 'first', datastore: { type: 'backups', version: '1' } });
    backupId = created.body.backup.id;

    const backup = await finished(backupId);
    expect(backup).toMatchObject({ status: 'COMPLETED', size_bytes: data.length, checksum: sha256(data), format: 'payload-v1' });
    expect(backup.size).toBeCloseTo(data.length / 1024 ** 3, 9);
    const stored = readFileSync(join(setup.dir, 'backups', `${backupId}.backup`));
    expect(sha256(stored)).toBe(sha256(data));
    // the guest's spool is emptied once the server has the backup
    expect(readdirSync(join(setup.dir, 'instances', source, 'spool'))).toEqual([]);
  });

  it('lists backups per project and per instance; another project sees none of them', async () => {
    expect((await api('GET', '/v1.0/acme/backups')).body.backups.map((b: { id: string }) => b.id)).toContain(backupId);
    expect((await api('GET', `/v1.0/acme/instances/${source}/backups`)).body.backups.map((b: { id: string }) => b.id)).toEqual([backupId]);
    expect((await api('GET', `/v1.0/acme/backups?instance_id=${source}`)).body.backups).toHaveLength(1);
    expect((await api('GET', `/v1.0/globex/backups/${backupId}`, undefined, TOKENS.globex)).body.error.code).toBe('BERTH_ERR_BACKUP_NOT_FOUND');
    expect((await api('GET', `/v1.0/globex/backups`, undefined, TOKENS.globex)).body.backups).toEqual([]);
  });

  it('creates a new instance from the backup: the data comes back byte for byte', async () => {
    const restored = await activeInstance('restored', 'backups', { backupRef: backupId });
    expect(sha256(payloadOf(restored))).toBe(sha256(payloadOf(source)));
  });

  it('refuses a restorePoint of another datastore, another project or an unknown backup', async () => {
    const wrongDatastore = await api('POST', '/v1.0/acme/instances', { instance: { name: 'x', datastore: { type: 'counter' }, restorePoint: { backupRef: backupId } } });
    expect(wrongDatastore.body.error.code).toBe('BERTH_ERR_OPERATION_UNSUPPORTED');
    const foreign = await api('POST', '/v1.0/globex/instances', { instance: { name: 'x', datastore: { type: 'backups' }, restorePoint: { backupRef: backupId } } }, TOKENS.globex);
    expect(foreign.body.error.code).toBe('BERTH_ERR_BACKUP_NOT_FOUND');
    const unknown = await api('POST', '/v1.0/acme/instances', { instance: { name: 'x', datastore: { type: 'backups' }, restorePoint: { backupRef: '00000000-0000-4000-8000-000000000000' } } });
    expect(unknown.body.error.code).toBe('BERTH_ERR_BACKUP_NOT_FOUND');
  });

  it('marks a backup FAILED with the reason, keeping nothing, when the manager fails', async () => {
    const failing = await activeInstance('failing');
    expect((await api('POST', `/v1.0/acme/instances/${failing}/databases`, { databases: [{ name: 'fail-backups' }] })).status).toBe(202);
    const created = await api('POST', '/v1.0/acme/backups', { backup: { name: 'doomed', instance: failing } });
    const backup = await finished(created.body.backup.id);
    expect(backup).toMatchObject({ status: 'FAILED', size_bytes: null, checksum: null, fault: { message: expect.stringContaining('asked to fail') } });
    expect(existsSync(join(setup.dir, 'backups', `${backup.id}.backup`))).toBe(false);
    expect(readdirSync(join(setup.dir, 'instances', failing, 'spool'))).toEqual([]);
    // a failed backup cannot be restored
    const restore = await api('POST', '/v1.0/acme/instances', { instance: { name: 'x', datastore: { type: 'backups' }, restorePoint: { backupRef: backup.id } } });
    expect(restore.body.error.code).toBe('BERTH_ERR_BACKUP_STATE');
  });

  it('denies a manager any artifact but the one of its running call', async () => {
    // the fixture's strategy "steal:<id>" writes another backup's artifact instead of its own
    const outcome = await server.hub.call(source, 'create-backup', [{ id: 'not-a-stored-backup', strategy: `steal:${backupId}` }], 30_000);
    expect(outcome).toMatchObject({ err: { tag: 'denied' } });
    expect(readFileSync(join(setup.dir, 'backups', `${backupId}.backup`)).length).toBe(3_146_728);
  });

  it('refuses backups the manager cannot take, of instances not ACTIVE, and malformed bodies', async () => {
    const counter = await activeInstance('counter', 'counter');
    expect((await api('POST', '/v1.0/acme/backups', { backup: { name: 'n', instance: counter } })).body.error.code).toBe('BERTH_ERR_OPERATION_UNSUPPORTED');
    expect((await api('POST', '/v1.0/acme/backups', { backup: { name: 'n' } })).body.error.code).toBe('BERTH_ERR_VALIDATION');
    expect((await api('POST', '/v1.0/acme/backups', { backup: { name: 'n', instance: 'not-a-uuid' } })).body.error.code).toBe('BERTH_ERR_VALIDATION');
    expect((await api('POST', '/v1.0/acme/backups', { backup: { name: 'n', instance: '00000000-0000-4000-8000-000000000000' } })).body.error.code).toBe('BERTH_ERR_INSTANCE_NOT_FOUND');
  });

  it('refuses the guest artifact routes without the instance token', async () => {
    const url = `${server.url}/v1/guests/${source}/artifacts/${backupId}`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const put = await fetch(url, { method: 'PUT', headers: { authorization: 'Bearer wrong', 'content-type': 'application/octet-stream', 'x-berth-sha256': '0'.repeat(64) }, body: 'x' });
    expect(((await put.json()) as { error: { code: string } }).error.code).toBe('BERTH_ERR_UNAUTHORIZED');
  });

  it('deletes a backup: gone from the API and from the backup store', async () => {
    expect((await api('DELETE', `/v1.0/acme/backups/${backupId}`)).status).toBe(202);
    expect((await api('GET', `/v1.0/acme/backups/${backupId}`)).body.error.code).toBe('BERTH_ERR_BACKUP_NOT_FOUND');
    expect(existsSync(join(setup.dir, 'backups', `${backupId}.backup`))).toBe(false);
    const restore = await api('POST', '/v1.0/acme/instances', { instance: { name: 'late', datastore: { type: 'backups' }, restorePoint: { backupRef: backupId } } });
    expect(restore.body.error.code).toBe('BERTH_ERR_BACKUP_NOT_FOUND');
  });
});
