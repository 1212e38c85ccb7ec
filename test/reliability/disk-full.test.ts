import { execFileSync } from 'node:child_process';
import { chownSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, startTestServer, waitFor, type StartedTestServer } from '../support/server.js';

// The disk under an instance's mount point fills up (a 1 MiB tmpfs mounted over its volume):
// the operation that needed room fails with a clear error, the instance stays in a defined
// state the API reports, and once there is room again the same operation succeeds.
const TOKEN = 'disk-full-token-0123456789';
let setup: StartedTestServer;
let mounted: string | undefined;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this test mounts a tmpfs: run it as root (CI does)');
  setup = await startTestServer({
    name: 'disk-full',
    projects: { acme: TOKEN },
    managers: { counter: 'counter' },
    timeouts: { report_interval: 0.3, heartbeat_expiry: 10 },
    datastores: [{ name: 'counter', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/counter' }, versions: [{ name: '1', manager: 'counter' }] }],
  });
}, 240_000);
afterAll(async () => {
  if (mounted) execFileSync('umount', ['-l', mounted]);
  await setup?.cleanup();
}, 60_000);

const api = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, TOKEN, method, `/v1.0/acme${path}`, body);

describe('a full disk under the mount point', () => {
  it('fails the write with a clear error, keeps the instance ACTIVE and reporting, and works again once there is room', async () => {
    const id = (await api('POST', '/instances', { instance: { name: 'full', datastore: { type: 'counter' } } })).body.instance.id as string;
    await waitFor(() => api('GET', `/instances/${id}`), (r) => r.body.instance.status === 'ACTIVE', 'ACTIVE');
    expect((await api('POST', `/instances/${id}/databases`, { databases: [{ name: 'before' }] })).status).toBe(202);

    const volume = join(setup.dir, 'instances', id, 'volume');
    // the instance's own user owns its volume (a root server runs each instance as one): so does the new mount
    const owner = statSync(volume);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=1m,uid=${owner.uid},gid=${owner.gid},mode=0700`, 'tmpfs', volume]);
    mounted = volume;
    // just under one 4 KiB page (the fixture lists no "user:" lines as databases), so one more line needs a page that is not there
    writeFileSync(join(volume, 'effects.log'), `before\nuser:${'p'.repeat(4096 - 'before\nuser:\n'.length - 8)}\n`);
    chownSync(join(volume, 'effects.log'), owner.uid, owner.gid);
    // fill what is left: the write stops at ENOSPC
    try {
      writeFileSync(join(volume, 'ballast'), Buffer.alloc(2 * 1024 * 1024));
      chownSync(join(volume, 'ballast'), owner.uid, owner.gid);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }

    // the running host's preopen still names the directory under the mount: a fresh host opens the tmpfs
    const pid = setup.server.provisioner!.pidOf(id)!;
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => setup.server.provisioner!.pidOf(id), (next) => next !== undefined && next !== pid, 'the host to be restarted');
    await waitFor(() => api('GET', `/instances/${id}/databases`), (r) => r.status === 200, 'the new host to answer', 60_000);

    const refused = await api('POST', `/instances/${id}/databases`, { databases: [{ name: 'x'.repeat(60) }] });
    expect(refused.status).toBe(502);
    expect(refused.body.error.code).toBe('BERTH_ERR_MANAGER_FAILED');
    expect(refused.body.error.message).toMatch(/space|insufficient/i);
    // the guest still answers and reports: the instance is not left in BUILD, ERROR or limbo
    // (the fixture rewrites its log in place, so a write cut short leaves a partial line: its own affair, not the control plane's)
    const listed = await api('GET', `/instances/${id}/databases`);
    expect(listed.status).toBe(200);
    expect(listed.body.databases[0]).toEqual({ name: 'before', character_set: 'hello' });
    expect((await api('GET', `/instances/${id}`)).body.instance.status).toBe('ACTIVE');

    rmSync(join(volume, 'ballast'));
    expect((await api('POST', `/instances/${id}/databases`, { databases: [{ name: 'after' }] })).status).toBe(202);
    expect((await api('GET', `/instances/${id}/databases`)).body.databases.at(-1).name).toMatch(/after$/);
  }, 120_000);
});
