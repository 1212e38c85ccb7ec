import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSetting, SETTING_RULES } from '../../../datastores/redis/override-rules.js';
import { ManagerError } from '../../../datastores/sdk/errors.js';
import { until } from '../../support/guest-host.js';
import { freePort, REDIS_SERVER, requireRedisServer } from '../../support/redis-guest.js';

function refusal(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error instanceof ManagerError ? error.value : error;
  }
  return 'accepted';
}

describe('the settings the Redis manager accepts', () => {
  it('normalises typed values to what Redis reads', () => {
    expect(checkSetting('k', 'MaxMemory', { tag: 'integer', val: 1024n })).toEqual({ key: 'maxmemory', value: '1024' });
    expect(checkSetting('k', 'maxmemory', { tag: 'text', val: '64MB' })).toEqual({ key: 'maxmemory', value: '64mb' });
    expect(checkSetting('k', 'appendonly', { tag: 'boolean', val: true })).toEqual({ key: 'appendonly', value: 'yes' });
    expect(checkSetting('k', 'appendonly', { tag: 'text', val: 'No' })).toEqual({ key: 'appendonly', value: 'no' });
    expect(checkSetting('k', 'save', { tag: 'text', val: ' 900  1 ' })).toEqual({ key: 'save', value: '900 1' });
    // QuickJS hands 64-bit integers of some arguments over as numbers
    expect(checkSetting('k', 'hz', { tag: 'integer', val: 20 as unknown as bigint })).toEqual({ key: 'hz', value: '20' });
  });

  it('refuses keys the manager owns, unknown keys and values of the wrong kind, naming the field', () => {
    for (const key of ['dir', 'dbfilename', 'port', 'bind', 'include', 'loadmodule', 'aclfile', 'requirepass', 'rename-command', 'daemonize', 'nonsense']) {
      expect(refusal(() => checkSetting(key, key, { tag: 'text', val: 'x' }))).toMatchObject({ tag: 'invalid-argument', val: { field: key } });
    }
    expect(refusal(() => checkSetting('hz', 'hz', { tag: 'float', val: 1.5 }))).toMatchObject({ val: { field: 'hz', message: '"hz" must be an integer from 1 to 500' } });
    expect(refusal(() => checkSetting('f', 'appendonly', { tag: 'integer', val: 1n }))).toMatchObject({ val: { field: 'f' } });
    expect(refusal(() => checkSetting('f', 'notify-keyspace-events', { tag: 'text', val: 'K"; rm' }))).toMatchObject({ val: { field: 'f' } });
    expect(refusal(() => checkSetting('f', 'save', { tag: 'text', val: '900' }))).toMatchObject({ val: { field: 'f' } });
  });

  describe('against a real redis-server 7', () => {
    let server: ReturnType<typeof spawn>;
    let client: Redis;
    beforeAll(async () => {
      requireRedisServer();
      const port = await freePort();
      server = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      await until(() => server.exitCode === null, 'redis-server');
      for (let attempt = 0; ; attempt++) {
        try {
          await client.connect();
          break;
        } catch (error) {
          if (attempt > 100) throw error;
          client.disconnect();
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    });
    afterAll(async () => {
      client?.disconnect();
      server?.kill('SIGKILL');
    });

    it("accepts every setting's default as Redis reports it, and CONFIG SET takes exactly the ones marked live", async () => {
      for (const [key, rule] of Object.entries(SETTING_RULES)) {
        const [, current] = (await client.config('GET', key)) as [string, string];
        expect(current, key).toBeDefined();
        expect(checkSetting(key, key, { tag: 'text', val: current })).toMatchObject({ key });
        const outcome = await client.config('SET', key, current).then(
          () => 'live',
          (error: Error) => (/immutable/.test(error.message) ? 'at-start' : error.message),
        );
        expect(outcome, key).toBe(rule.live ? 'live' : 'at-start');
      }
    });
  });
});
