// The connections capability across restarts of its datastore, a private redis-server (with a
// password, and a grant on database 1: the new connection must log in and select it again): shut
// down and started, killed -9 and started, and killed in the middle of a command, under a pooled
// connection. As connections-restart-postgres.test.ts, for the Redis client. No persistence: the
// data does not outlive a restart.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnections } from '../../../host/capabilities/connections.js';
import { args, capabilityError, unique } from '../../support/connection-calls.js';
import { killWhenRunning } from '../../support/kill-mid-statement.js';
import { PrivateRedis } from '../../support/private-redis.js';

let server: PrivateRedis;
let connections: ReturnType<typeof createConnections>;
const redis = (...values: string[]) => connections.redisCommand('cache', args(...values));
const bulk = (value: string) => ({ tag: 'bulk', val: new TextEncoder().encode(value) });
const OK = [{ tag: 'simple', val: 'OK' }];

/** A client of the test's own on database 1, connected, for the duration of `use`. */
async function direct<T>(use: (client: Redis) => Promise<T>): Promise<T> {
  const client = server.client(1);
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

const RESTARTS: Array<[string, () => Promise<void>]> = [
  [
    'shut down and started',
    async () => {
      await server.stop();
      await server.start();
    },
  ],
  [
    'killed -9 and started',
    async () => {
      await server.kill();
      await server.start();
    },
  ],
];

beforeAll(async () => {
  server = await PrivateRedis.create();
  connections = createConnections({ cache: { kind: 'redis', url: server.url(1) } }, { timeoutMs: 20_000 });
});
afterAll(() => {
  connections?.close();
  server?.destroy();
});

describe('Redis restarted under a pooled connection', () => {
  it.each(RESTARTS)('answers the first read after the server was %s, then a write, on the granted database', async (_, restart) => {
    expect(redis('PING')).toEqual([{ tag: 'simple', val: 'PONG' }]);
    await restart();
    const key = unique('berth:after-restart');
    expect(redis('GET', key)).toEqual([{ tag: 'nil' }]);
    expect(redis('SET', key, 'value')).toEqual(OK);
    expect(await direct((client) => client.get(key))).toBe('value');
  });

  it.each(RESTARTS)('answers the first write after the server was %s, then a read', async (_, restart) => {
    expect(redis('PING')).toEqual([{ tag: 'simple', val: 'PONG' }]);
    await restart();
    const key = unique('berth:after-restart');
    expect(redis('INCR', key)).toEqual([{ tag: 'integer', val: 1n }]);
    expect(redis('GET', key)).toEqual([bulk('1')]);
  });

  it('does not swap in a new connection for one lost inside MULTI: the commands queued would be lost, the next run alone', async () => {
    const key = unique('berth:in-multi');
    expect(redis('MULTI')).toEqual(OK);
    expect(redis('INCR', key)).toEqual([{ tag: 'simple', val: 'QUEUED' }]);
    await server.stop();
    await server.start();
    expect(capabilityError(() => redis('INCR', key))).toEqual({ tag: 'unavailable', val: expect.stringContaining('MULTI') });
    // the next call connects afresh, outside any transaction; nothing queued ran
    expect(redis('GET', key)).toEqual([{ tag: 'nil' }]);
  });

  it('does not swap in a new connection for one lost after SELECT moved it to another database', async () => {
    expect(redis('SELECT', '2')).toEqual(OK);
    await server.kill();
    await server.start();
    expect(capabilityError(() => redis('SET', unique('berth:where'), 'x'))).toEqual({ tag: 'unavailable', val: expect.stringContaining('SELECT') });
    expect(redis('PING')).toEqual([{ tag: 'simple', val: 'PONG' }]);
  });

  it('does not send again a command the server ran before the connection broke', async () => {
    const counter = unique('berth:once');
    const big = unique('berth:big');
    // the server cuts a client whose reply passes the limit: after running its command
    await direct(async (client) => {
      await client.set(big, 'x'.repeat(2 * 1024 * 1024));
      await client.config('SET', 'client-output-buffer-limit', 'normal 1mb 1mb 0');
    });
    try {
      const script = "redis.call('INCR', KEYS[1]); return redis.call('GET', KEYS[2])";
      expect(capabilityError(() => redis('EVAL', script, '2', counter, big))).toMatchObject({ tag: 'unavailable' });
    } finally {
      await direct((client) => client.config('SET', 'client-output-buffer-limit', 'normal 0 0 0'));
    }
    expect(redis('GET', counter)).toEqual([bulk('1')]);
  });

  it('answers unavailable for a command in flight when the server is killed, and the next call works once it is back', async () => {
    expect(redis('PING')).toEqual([{ tag: 'simple', val: 'PONG' }]);
    const killer = killWhenRunning({ kind: 'redis', port: server.port, password: server.password, marker: 'blpop', pid: server.pid });
    const error = capabilityError(() => redis('BLPOP', unique('berth:never'), '60'));
    await killer.done;
    expect(error).toMatchObject({ tag: 'unavailable' });
    await server.kill();
    await server.start();
    expect(redis('PING')).toEqual([{ tag: 'simple', val: 'PONG' }]);
  });
});
