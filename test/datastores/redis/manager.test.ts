import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OPERATION_ARGUMENTS } from '../../support/operation-arguments.js';
import { buildRedisManager, requireRedisServer, startRedisGuest } from '../../support/redis-guest.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

beforeAll(async () => {
  requireRedisServer();
  await buildRedisManager();
});

const UNSUPPORTED = ['create-databases', 'list-databases', 'delete-database', 'create-users', 'list-users', 'get-user', 'delete-user', 'grant-access', 'list-access'] as const;

describe('the Redis manager component', () => {
  it('asks for exactly its grants and options, so `berth inspect` shows them and a host refuses a config without them', async () => {
    const { manifest } = await buildRedisManager();
    expect(manifest.name).toBe('berth-redis');
    expect(manifest.capabilities).toEqual({
      programs: [{ program: 'redis-server', purpose: expect.any(String) }],
      directories: [{ path: '{mount_point}', access: 'read-write', purpose: expect.any(String) }],
      connections: [{ name: 'admin', kind: 'redis', purpose: expect.any(String) }],
      environment: [],
    });
    expect(manifest.options).toEqual([
      { key: 'mount_point', required: false, defaultValue: '/var/lib/redis' },
      { key: 'port', required: false, defaultValue: '6379' },
      { key: 'admin_password', required: true, defaultValue: undefined },
      { key: 'default_password_length', required: false, defaultValue: '36' },
      { key: 'backup_strategy', required: false, defaultValue: 'RedisBackup' },
      { key: 'start_timeout', required: false, defaultValue: '120' },
    ]);
    expect(manifest.operations).toEqual([
      'prepare',
      'restart',
      'stop-db',
      'start-db-with-conf-changes',
      'status',
      'enable-root',
      'disable-root',
      'is-root-enabled',
      'create-backup',
      'restore-backup',
      'update-overrides',
      'apply-overrides',
      'reset-configuration',
      'backup-required-for-replication',
      'get-replication-snapshot',
      'attach-replica',
      'detach-replica',
      'make-read-only',
      'enable-as-master',
      'demote-replication-master',
      'get-last-txn',
      'get-latest-txn-id',
      'wait-for-txn',
      'guest-log-list',
      'guest-log-read',
    ]);
  });

  it('answers unsupported for databases and users through a real host (Redis has neither, as in Trove)', async () => {
    const guest = await startRedisGuest(cleanups);
    for (const operation of UNSUPPORTED) {
      expect(await guest.call(operation, OPERATION_ARGUMENTS[operation])).toEqual({ err: { tag: 'unsupported', val: operation } });
    }
  });
});

describe('a guest config without the grants the Redis manager asks for', () => {
  it('is refused by the host, which names each missing grant', async () => {
    const started = startRedisGuest(cleanups, {
      editConfig(config) {
        config.grants.programs = [];
        config.grants.connections = {};
      },
    });
    await expect(started).rejects.toThrow(/BERTH_ERR_GRANTS_MISSING[\s\S]*program redis-server[\s\S]*connection "admin"/);
  });
});
