// Finding 6 (Redis): through its granted connection a manager could make the
// datastore dial anywhere (REPLICAOF, MIGRATE...). The host's connection
// capability refuses those commands; here against a private redis-server.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnections } from '../../host/capabilities/connections.js';
import type { CapabilityError } from '../../host/generated/interfaces/berth-datastore-types.js';
import { freePort, portRefuses, REDIS_SERVER, requireRedisServer } from '../support/redis-guest.js';
import { capabilityError } from '../support/connection-calls.js';

const args = (...values: string[]) => values.map((v) => new TextEncoder().encode(v));

describe('the Redis connection capability against a hostile manager', () => {
  let server: ChildProcess;
  let dir: string;
  let port: number;
  let elsewhere: number;
  let direct: Redis;
  let connections: ReturnType<typeof createConnections>;
  const denials: string[] = [];
  const redis = (...values: string[]) => connections.redisCommand('admin', args(...values));

  beforeAll(async () => {
    requireRedisServer();
    dir = await mkdtemp(join(tmpdir(), 'berth-redis-policy-'));
    port = await freePort();
    elsewhere = await freePort();
    server = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    for (let i = 0; await portRefuses(port); i++) {
      if (i > 100) throw new Error(`redis-server did not listen on ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    direct = new Redis({ port, host: '127.0.0.1' });
    connections = createConnections({ admin: { kind: 'redis', url: `redis://127.0.0.1:${port}/0` } }, { timeoutMs: 5000 }, (_, what) => denials.push(what));
  });

  afterAll(async () => {
    connections?.close();
    direct?.disconnect();
    server?.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('still runs ordinary commands', () => {
    expect(redis('SET', 'berth:key', 'value')).toEqual([{ tag: 'simple', val: 'OK' }]);
    expect(redis('GET', 'berth:key')).toEqual([{ tag: 'bulk', val: new TextEncoder().encode('value') }]);
  });

  it('refuses REPLICAOF and SLAVEOF with denied, and the server stays a primary', async () => {
    expect(capabilityError(() => redis('REPLICAOF', '127.0.0.1', String(elsewhere)))).toEqual({ tag: 'denied', val: expect.stringContaining('REPLICAOF is refused') });
    expect(capabilityError(() => redis('slaveof', '127.0.0.1', String(elsewhere)))).toEqual({ tag: 'denied', val: expect.stringContaining('SLAVEOF is refused') });
    expect(denials).toContainEqual(expect.stringContaining('REPLICAOF is refused'));
    expect(await direct.info('replication')).toMatch(/^role:master\r?$/m);
  });

  it('refuses MIGRATE, also inside MULTI, and the key stays', async () => {
    expect(capabilityError(() => redis('MIGRATE', '127.0.0.1', String(elsewhere), 'berth:key', '0', '1000'))).toEqual({ tag: 'denied', val: expect.stringContaining('MIGRATE is refused') });
    expect(redis('MULTI')).toEqual([{ tag: 'simple', val: 'OK' }]);
    expect(capabilityError(() => redis('migrate', '127.0.0.1', String(elsewhere), 'berth:key', '0', '1000'))).toMatchObject({ tag: 'denied' });
    expect(redis('EXEC')).toEqual([{ tag: 'array', val: 0 }]);
    expect(await direct.get('berth:key')).toBe('value');
  });

  it('refuses CONFIG SET of paths and sources, MONITOR, DEBUG and CLUSTER MEET', async () => {
    expect(capabilityError(() => redis('CONFIG', 'SET', 'dir', '/tmp'))).toMatchObject({ tag: 'denied' });
    expect(capabilityError(() => redis('config', 'set', 'replicaof', `127.0.0.1 ${elsewhere}`))).toMatchObject({ tag: 'denied' });
    for (const command of [['MONITOR'], ['DEBUG', 'SLEEP', '0'], ['CLUSTER', 'MEET', '127.0.0.1', String(elsewhere)], ['SYNC'], ['MODULE', 'LIST']]) {
      expect(capabilityError(() => redis(...command)), command.join(' ')).toMatchObject({ tag: 'denied' });
    }
    expect(await direct.config('GET', 'dir')).toEqual(['dir', dir]);
    expect(await direct.info('replication')).toMatch(/^role:master\r?$/m);
    // and the connection still answers
    expect(redis('PING')).toEqual([{ tag: 'simple', val: 'PONG' }]);
  });
});
