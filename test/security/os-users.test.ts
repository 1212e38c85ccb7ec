import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { lookupUser } from '../../host/os-user.js';
import { instanceUserName } from '../../server/provisioning/local.js';
import { guestFixture } from '../support/guest-host.js';
import { hostCommand, testHostNode } from '../support/host-under-test.js';
import { apiRequest, startTestServer, waitFor, type StartedTestServer } from '../support/server.js';

// Finding 4's tail: every local instance of a datastore ran as one OS user that owned every
// instance's guest.toml, so whatever ran as that user (the datastore, on a manager's word)
// read every instance's data and token. Here each instance is its own user, the host drops
// to it after reading its root-only config, and no instance reaches another's files.

const TOKEN = 'acme-token-0123456789';
let setup: StartedTestServer;

beforeAll(async () => {
  // a root server is the only one that can separate instances; CI runs as root
  expect(process.getuid?.(), 'this test must run as root (as CI does)').toBe(0);
  setup = await startTestServer({
    name: 'os-users',
    projects: { acme: TOKEN },
    managers: { counter: 'counter' },
    timeouts: { report_interval: 0.2, heartbeat_expiry: 5 },
    datastores: [{ name: 'counter', guest: { mount_point: '/var/lib/counter' }, versions: [{ name: '1', manager: 'counter' }] }],
  });
});
afterAll(() => setup?.cleanup());

const api = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, TOKEN, method, path, body);

async function activeInstance(name: string): Promise<{ id: string; dir: string; hostPid: number }> {
  const created = await api('POST', '/v1.0/acme/instances', { instance: { name, datastore: { type: 'counter', version: '1' } } });
  expect(created.status).toBe(200);
  const id: string = created.body.instance.id;
  await waitFor(() => api('GET', `/v1.0/acme/instances/${id}`), (r) => r.body.instance.status === 'ACTIVE', `${name} ACTIVE`);
  return { id, dir: join(setup.dir, 'instances', id), hostPid: setup.server.provisioner!.pidOf(id)! };
}

/** The real, effective, saved and file-system uids of a process, as the kernel has them. */
function uidsOf(pid: number): number[] {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'))!;
  return line.split(/\s+/).slice(1, 5).map(Number);
}

/** Alive and not a zombie waiting for a parent to reap it. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Runs a command as `uid` (what the instance's datastore, or a program its manager starts, can do). */
function asUser(uid: number, gid: number, command: string[]) {
  return spawnSync('setpriv', ['--reuid', String(uid), '--regid', String(gid), '--clear-groups', ...command], { encoding: 'utf8' });
}

describe('local instances are separate OS users', () => {
  let a: Awaited<ReturnType<typeof activeInstance>>;
  let b: Awaited<ReturnType<typeof activeInstance>>;

  beforeAll(async () => {
    a = await activeInstance('alpha');
    b = await activeInstance('beta');
  });

  it('runs each guest host as its instance\'s own unprivileged user, not root and not shared', () => {
    const userA = lookupUser(instanceUserName(a.id))!;
    const userB = lookupUser(instanceUserName(b.id))!;
    expect(userA.uid).toBeGreaterThan(0);
    expect(userB.uid).not.toBe(userA.uid);
    expect(uidsOf(a.hostPid)).toEqual([userA.uid, userA.uid, userA.uid, userA.uid]);
    expect(uidsOf(b.hostPid)).toEqual([userB.uid, userB.uid, userB.uid, userB.uid]);
    // what the manager wrote is the instance's, and only the instance's
    const volume = statSync(join(a.dir, 'volume'));
    expect(volume.uid).toBe(userA.uid);
    expect(volume.mode & 0o077).toBe(0);
  });

  it('keeps every guest config with its token unreadable to instance users, their own included', () => {
    const userA = lookupUser(instanceUserName(a.id))!;
    const config = statSync(join(a.dir, 'guest.toml'));
    expect([config.uid, config.mode & 0o777]).toEqual([0, 0o600]);
    // the user can act in its own volume (so the refusals below are refusals, not a broken setpriv)
    expect(asUser(userA.uid, userA.gid, ['touch', join(a.dir, 'volume', 'mine')]).status).toBe(0);
    for (const target of [join(a.dir, 'guest.toml'), join(b.dir, 'guest.toml')]) {
      const read = asUser(userA.uid, userA.gid, ['cat', target]);
      expect(read.status, `cat ${target}`).not.toBe(0);
      expect(read.stdout).not.toContain('token');
    }
  });

  it('keeps another instance\'s volume, state and spool out of reach', () => {
    const userA = lookupUser(instanceUserName(a.id))!;
    for (const own of ['volume', 'state', 'spool']) {
      expect(asUser(userA.uid, userA.gid, ['ls', join(b.dir, own)]).status, `ls ${own} of another instance`).not.toBe(0);
      expect(asUser(userA.uid, userA.gid, ['touch', join(b.dir, own, 'planted')]).status, `write into ${own} of another instance`).not.toBe(0);
    }
  });

  it('keeps the host\'s memory and environment from its own user (the host is not dumpable after dropping root)', () => {
    const userA = lookupUser(instanceUserName(a.id))!;
    for (const file of ['environ', 'mem', 'maps']) {
      expect(asUser(userA.uid, userA.gid, ['cat', `/proc/${a.hostPid}/${file}`]).status, `/proc/<host>/${file}`).not.toBe(0);
    }
  });

  it('removes the instance\'s user and whatever it still ran when the instance is deleted', async () => {
    const name = instanceUserName(a.id);
    const uid = lookupUser(name)!.uid;
    // something the instance's datastore left running, outside its volume
    const stray = asUser(uid, uid, ['sh', '-c', 'cd / && sleep 300 >/dev/null 2>&1 & echo $!']);
    const strayPid = Number(stray.stdout.trim());
    expect(strayPid).toBeGreaterThan(0);
    expect((await api('DELETE', `/v1.0/acme/instances/${a.id}`)).status).toBe(202);
    await waitFor(async () => lookupUser(name), (user) => user === undefined, `user ${name} removed`);
    await waitFor(async () => running(strayPid), (alive) => !alive, `the stray process ${strayPid} ended`);
  });
});

describe('host.run_as as a non-root operator meets it', () => {
  it('refuses to become another user when not started as root, naming the key (BERTH_ERR_CONFIG_INVALID)', async () => {
    const nobody = lookupUser('nobody')!;
    const fixture = await guestFixture('counter', 'ws://127.0.0.1:9/v1/guests', (config) => {
      (config.host as Record<string, unknown>).run_as = 'daemon';
    });
    try {
      // what an operator without root has: the files are theirs to read, not root's
      chmodSync(fixture.dir, 0o755);
      chmodSync(fixture.configPath, 0o644);
      chmodSync(fixture.volume, 0o777);
      const run = spawnSync(
        'setpriv',
        ['--reuid', String(nobody.uid), '--regid', String(nobody.gid), '--clear-groups', testHostNode(), ...hostCommand(fixture.configPath)],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(run.status, run.stderr).toBe(3);
      expect(run.stderr).toContain('BERTH_ERR_CONFIG_INVALID');
      expect(run.stderr).toContain('host.run_as');
    } finally {
      await fixture.cleanup();
    }
  });
});
