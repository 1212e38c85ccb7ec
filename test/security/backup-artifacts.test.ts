// Findings 5 and 14 of issue 13: what a guest (a compromised host, holding its instance's
// token) may move through the artifact routes. A guest downloads only the backup its
// in-flight restore names, uploads only the backup it is taking now, and no more bytes
// than the server's bound.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { apiRequest, startTestServer, waitFor, type StartedTestServer, type TestServer } from '../support/server.js';

const TOKEN = 'acme-token-0123456789';
const MAX_BACKUP_BYTES = 1024 * 1024;
let setup: StartedTestServer;
let server: TestServer;

beforeAll(async () => {
  setup = await startTestServer({
    name: 'sec-artifacts',
    projects: { acme: TOKEN },
    managers: { backups: { entry: join(PACKAGE_ROOT, 'test', 'security', 'managers', 'slow-backups.ts') } },
    timeouts: { report_interval: 0.2, heartbeat_expiry: 30 },
    datastores: [{ name: 'backups', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/payload' }, versions: [{ name: '1', manager: 'backups' }] }],
  });
  // the bound this test runs under; the next start (below) reads it
  await setup.server.close();
  (setup.config.backups as { max_bytes?: number }).max_bytes = MAX_BACKUP_BYTES;
  server = await setup.start();
  setup.server = server;
}, 240_000);
afterAll(() => setup?.cleanup());

const api = (method: string, path: string, body?: unknown) => apiRequest(server.url, TOKEN, method, `/v1.0/acme${path}`, body);
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const guestTokenOf = (instanceId: string) => (parse(readFileSync(join(setup.dir, 'instances', instanceId, 'guest.toml'), 'utf8')) as { guest: { token: string } }).guest.token;
/** What the backup store holds of one backup, partial or whole. */
const backupFiles = (backupId: string) => (existsSync(join(setup.dir, 'backups')) ? readdirSync(join(setup.dir, 'backups')).filter((f) => f.startsWith(backupId)) : []);
const artifactUrl = (instanceId: string, backupId: string) => `${server.url}/v1/guests/${instanceId}/artifacts/${backupId}`;

async function activeInstance(name: string, restorePoint?: { backupRef: string }): Promise<string> {
  const created = await api('POST', '/instances', { instance: { name, datastore: { type: 'backups' }, ...(restorePoint ? { restorePoint } : {}) } });
  expect(created.status).toBe(200);
  const id = created.body.instance.id as string;
  await waitFor(() => api('GET', `/instances/${id}`), (r) => r.body.instance.status !== 'BUILD', `instance ${name} to leave BUILD`, 90_000);
  expect((await api('GET', `/instances/${id}`)).body.instance.status).toBe('ACTIVE');
  return id;
}

async function addData(instanceId: string, ...names: string[]): Promise<void> {
  expect((await api('POST', `/instances/${instanceId}/databases`, { databases: names.map((name) => ({ name })) })).status).toBe(202);
  await waitFor(() => server.store.tasks.listForInstance(instanceId), (tasks) => tasks.every((t) => t.state !== 'pending' && t.state !== 'running'), 'the data to be written');
}

async function takeBackup(instanceId: string, name: string): Promise<string> {
  const created = await api('POST', '/backups', { backup: { name, instance: instanceId } });
  expect(created.status).toBe(202);
  return created.body.backup.id as string;
}

async function finished(backupId: string): Promise<any> {
  const shown = await waitFor(() => api('GET', `/backups/${backupId}`), (r) => !['NEW', 'BUILDING'].includes(r.body.backup?.status), `backup ${backupId} to finish`, 90_000);
  return shown.body.backup;
}

async function errorCode(response: Response): Promise<string | undefined> {
  return ((await response.json()) as { error?: { code?: string } }).error?.code;
}

/** A PUT the way a compromised guest streams it: chunked, no content-length, as many bytes as it likes. */
function streamUpload(url: string, token: string, bytes: number): Promise<{ status: number; code?: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'x-berth-sha256': '0'.repeat(64) } });
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, code: body ? (JSON.parse(body) as { error?: { code?: string } }).error?.code : undefined }));
    });
    // the server may stop reading and close once it has refused: the answer is what counts
    request.on('error', (error) => setTimeout(() => reject(error), 2000));
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!request.write(chunk)) return void request.once('drain', pump);
      }
      request.end();
    };
    pump();
  });
}

describe('finding 5: a guest reads and writes only the backup of its own in-flight operation', () => {
  let source: string;
  let other: string;
  let backupId: string;

  beforeAll(async () => {
    [source, other] = await Promise.all([activeInstance('source'), activeInstance('other')]);
    await addData(source, 'bytes-4000');
    backupId = await takeBackup(source, 'nightly');
    expect(await finished(backupId)).toMatchObject({ status: 'COMPLETED', size_bytes: 4000 });
  });

  it("refuses another instance's guest the bytes of a completed backup of its project and datastore", async () => {
    const response = await fetch(artifactUrl(other, backupId), { headers: { authorization: `Bearer ${guestTokenOf(other)}` } });
    expect(response.status).toBe(403);
    expect(await errorCode(response)).toBe('BERTH_ERR_ARTIFACT_NOT_GRANTED');
  });

  it('checks the guest token sent as X-Auth-Token exactly like a bearer token', async () => {
    // past authentication, the same grant check refuses: the header changes who may ask, never what is granted
    const granted = await fetch(artifactUrl(other, backupId), { headers: { 'x-auth-token': guestTokenOf(other) } });
    expect(granted.status).toBe(403);
    expect(await errorCode(granted)).toBe('BERTH_ERR_ARTIFACT_NOT_GRANTED');
    const foreign = await fetch(artifactUrl(other, backupId), { headers: { 'x-auth-token': guestTokenOf(source) } });
    expect(foreign.status).toBe(401);
    expect(await errorCode(foreign)).toBe('BERTH_ERR_UNAUTHORIZED');
  });

  it('refuses the owning guest its own completed backup when no restore of it is in flight', async () => {
    const response = await fetch(artifactUrl(source, backupId), { headers: { authorization: `Bearer ${guestTokenOf(source)}` } });
    expect(response.status).toBe(403);
    expect(await errorCode(response)).toBe('BERTH_ERR_ARTIFACT_NOT_GRANTED');
    const upload = await fetch(artifactUrl(source, backupId), { method: 'PUT', headers: { authorization: `Bearer ${guestTokenOf(source)}`, 'content-type': 'application/octet-stream', 'x-berth-sha256': sha256(Buffer.from('x')) }, body: 'x' });
    expect(await errorCode(upload)).toBe('BERTH_ERR_ARTIFACT_NOT_GRANTED');
    // the stored backup is untouched
    expect(readFileSync(join(setup.dir, 'backups', `${backupId}.backup`)).length).toBe(4000);
  });

  it('still lets the restore the server asked for fetch its backup: the data comes back byte for byte', async () => {
    const restored = await activeInstance('restored', { backupRef: backupId });
    const payloadOf = (id: string) => readFileSync(join(setup.dir, 'instances', id, 'volume', 'payload.bin'));
    expect(sha256(payloadOf(restored))).toBe(sha256(payloadOf(source)));
  });

  it('refuses, while a backup is in flight, every other guest an upload into it', async () => {
    await addData(other, 'slow-backup-4000');
    const inFlight = await takeBackup(other, 'slow');
    const foreign = await fetch(artifactUrl(source, inFlight), { method: 'PUT', headers: { authorization: `Bearer ${guestTokenOf(source)}`, 'content-type': 'application/octet-stream', 'x-berth-sha256': sha256(Buffer.from('x')) }, body: 'x' });
    expect(foreign.status).toBeGreaterThanOrEqual(400);
    expect(await finished(inFlight)).toMatchObject({ status: 'COMPLETED', size_bytes: 0 });
  });
});

describe('finding 14: the bytes a guest may upload into one backup are bounded by the server', () => {
  it('fails a backup larger than backups.max_bytes, keeping nothing, and the host reports the code', async () => {
    const big = await activeInstance('big');
    await addData(big, `bytes-${3 * MAX_BACKUP_BYTES}`);
    const backupId = await takeBackup(big, 'too-big');
    expect(await finished(backupId)).toMatchObject({ status: 'FAILED', size_bytes: null, checksum: null });
    const task = (await server.store.tasks.listForInstance(big)).find((t) => t.operation === 'create-backup')!;
    expect(JSON.parse(task.outcome!)).toMatchObject({ error: { code: 'BERTH_ERR_ARTIFACT_TOO_LARGE' } });
    expect(backupFiles(backupId)).toEqual([]);
  });

  it('refuses a streamed upload past the bound while it streams, removing the partial artifact', async () => {
    const guest = await activeInstance('streamer');
    await addData(guest, 'bytes-1000', 'slow-backup-6000');
    // the backup is in flight (its manager spins), so the upload is into the backup being taken now
    const backupId = await takeBackup(guest, 'streamed');
    await waitFor(() => server.store.tasks.listForInstance(guest), (tasks) => tasks.some((t) => t.operation === 'create-backup'), 'the backup task');
    const refused = await streamUpload(artifactUrl(guest, backupId), guestTokenOf(guest), 64 * MAX_BACKUP_BYTES);
    expect(refused).toEqual({ status: 413, code: 'BERTH_ERR_ARTIFACT_TOO_LARGE' });
    expect(backupFiles(backupId)).toEqual([]);
    // the host's own upload, within the bound, is still taken
    expect(await finished(backupId)).toMatchObject({ status: 'COMPLETED', size_bytes: 1000 });
    expect(existsSync(join(setup.dir, 'backups', `${backupId}.backup`))).toBe(true);
  });
});
