import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildRedisManager, GUEST_MOUNT, prepareRequest, requireRedisServer, startRedisGuest } from '../../support/redis-guest.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

beforeAll(async () => {
  requireRedisServer();
  await buildRedisManager();
});

const text = (val: string) => ({ tag: 'text', val });

describe('prepare', () => {
  it('writes its files under the mount point, starts redis-server and the status probe reports RUNNING', async () => {
    const guest = await startRedisGuest(cleanups);
    expect(await guest.call('status')).toEqual({ ok: 'new' });
    expect(await guest.call('prepare', [prepareRequest()])).toEqual({ ok: undefined });
    expect(await guest.call('status')).toEqual({ ok: 'running' });
    expect(guest.pid()).toBeGreaterThan(0);
    expect((await readdir(guest.volume)).sort()).toEqual(['configuration.conf', 'data', 'overrides.conf', 'redis.conf', 'redis.log', 'redis.pid', 'replication.conf', 'sizing.conf', 'users.acl']);

    // the manager's admin password reaches the disk only as a hash
    const users = await readFile(join(guest.volume, 'users.acl'), 'utf8');
    expect(users).toMatch(/^user berth on #[0-9a-f]{64} /m);
    expect(users).toMatch(/^user default on nopass /m);
    expect(users).not.toContain(guest.adminPassword);

    // without root, Redis's default user needs no password: a plain client reads and writes
    const client = guest.client();
    await client.connect();
    expect(await client.set('greeting', 'hello')).toBe('OK');
    expect(await client.get('greeting')).toBe('hello');
    // the manager's own user may not make the server dial elsewhere or load code, even from a script (finding 6);
    // REPLICAOF it may run (replication), which the host lets through only to the source of attach-replica
    expect(await client.call('ACL', 'DRYRUN', 'berth', 'REPLICAOF', 'NO', 'ONE')).toBe('OK');
    for (const command of [['SLAVEOF', '127.0.0.1', '1'], ['MIGRATE', '127.0.0.1', '1', 'k', '0', '10'], ['MONITOR'], ['DEBUG', 'SLEEP', '0']]) {
      expect(await client.call('ACL', 'DRYRUN', 'berth', ...command)).toMatch(/no permissions/);
    }
    expect(await client.call('ACL', 'DRYRUN', 'berth', 'SHUTDOWN')).toBe('OK');
    const config = (key: string) => client.config('GET', key);
    expect(await config('port')).toEqual(['port', String(guest.port)]);
    expect(await config('bind')).toEqual(['bind', '127.0.0.1']);
    expect(await config('protected-mode')).toEqual(['protected-mode', 'yes']);
    expect(await config('appendonly')).toEqual(['appendonly', 'no']);
    expect(await config('daemonize')).toEqual(['daemonize', 'yes']);
    // the manager sees /var/lib/redis, this machine a temporary directory: redis-server got paths that hold there
    expect(GUEST_MOUNT).not.toBe(guest.volume);
    expect(await config('dir')).toEqual(['dir', join(guest.volume, 'data')]);
    // and the manager's own user works with the password of the connection grant
    const admin = guest.client();
    await admin.connect();
    expect(await admin.call('AUTH', 'berth', guest.adminPassword)).toBe('OK');
    expect(await admin.call('ACL', 'WHOAMI')).toBe('berth');
  });

  it('sets the root password, configuration and overrides the request carries', async () => {
    const guest = await startRedisGuest(cleanups);
    const request = prepareRequest({
      rootPassword: 'root-on-create',
      configContents: '# from the server\nmaxclients 50\nsave ""\n',
      overrides: [{ key: 'maxmemory-policy', value: text('allkeys-lfu') }],
    });
    expect(await guest.call('prepare', [request])).toEqual({ ok: undefined });
    expect(await guest.call('status')).toEqual({ ok: 'running' });

    const anonymous = guest.client();
    await anonymous.connect();
    await expect(anonymous.get('k')).rejects.toThrow(/NOAUTH/);
    const root = guest.client('root-on-create');
    await root.connect();
    expect(await root.config('GET', 'maxclients')).toEqual(['maxclients', '50']);
    expect(await root.config('GET', 'save')).toEqual(['save', '']);
    expect(await root.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'allkeys-lfu']);
    expect(await readFile(join(guest.volume, 'users.acl'), 'utf8')).not.toContain('root-on-create');
  });

  it('refuses a request it cannot honour, naming the field, before it changes anything', async () => {
    const guest = await startRedisGuest(cleanups);
    const refusals: Array<[Record<string, unknown>, string]> = [
      [{ databases: [{ name: 'sales', characterSet: undefined, collation: undefined }] }, 'databases'],
      [{ users: [{ name: 'alice', host: undefined, password: 'pw', databases: [] }] }, 'users'],
      [{ mountPoint: '/somewhere/else' }, 'mount-point'],
      [{ overrides: [{ key: 'dir', value: text('/etc') }] }, 'dir'],
      [{ overrides: [{ key: 'maxmemory-policy', value: text('sometimes') }] }, 'maxmemory-policy'],
      [{ configContents: 'loadmodule /tmp/evil.so' }, 'config-contents'],
      [{ rootPassword: '' }, 'root-password'],
    ];
    for (const [fields, field] of refusals) {
      expect(await guest.call('prepare', [prepareRequest(fields)])).toMatchObject({ err: { tag: 'invalid-argument', val: { field } } });
    }
    expect(await readdir(guest.volume)).toEqual([]);
    expect(await guest.call('status')).toEqual({ ok: 'new' });
  });

  it('can run again after a crash part-way: the second run restarts the server and keeps the data', async () => {
    const guest = await startRedisGuest(cleanups);
    expect(await guest.call('prepare', [prepareRequest()])).toEqual({ ok: undefined });
    const client = guest.client();
    await client.connect();
    await client.set('survives', 'the second prepare');
    const firstPid = guest.pid();
    expect(await guest.call('prepare', [prepareRequest()])).toEqual({ ok: undefined });
    expect(guest.pid()).not.toBe(firstPid);
    const again = guest.client();
    await again.connect();
    expect(await again.get('survives')).toBe('the second prepare');
  });
});
