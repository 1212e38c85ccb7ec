import { spawn } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../support/guest-host.js';
import { alive, buildRedisManager, freePort, portRefuses, prepareRequest, REDIS_SERVER, requireRedisServer, startRedisGuest } from '../../support/redis-guest.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

beforeAll(async () => {
  requireRedisServer();
  await buildRedisManager();
});

const isAlive = alive;

describe('the Redis server process: start, stop, restart and the status probe', () => {
  it('stops on purpose (status SHUTDOWN, data saved) and starts again (RUNNING, data back)', async () => {
    const guest = await startRedisGuest(cleanups);
    expect(await guest.call('prepare', [prepareRequest()])).toEqual({ ok: undefined });
    const client = guest.client();
    await client.connect();
    await client.set('kept', 'across a stop');
    const pid = guest.pid()!;

    expect(await guest.call('stop-db', [false])).toEqual({ ok: undefined });
    // it has closed its port and removed its pid file; the process itself may take a moment more
    expect(guest.pid()).toBeUndefined();
    await until(() => !isAlive(pid), 'redis-server to exit', 5000);
    expect(await guest.call('status')).toEqual({ ok: 'shutdown' });
    await guest.heartbeat('shutdown');
    expect(await portRefuses(guest.port)).toBe(true);
    // stopping a stopped server changes nothing
    expect(await guest.call('stop-db', [true])).toEqual({ ok: undefined });
    expect(await guest.call('status')).toEqual({ ok: 'shutdown' });

    // the contract's start: no configuration changes
    expect(await guest.call('start-db-with-conf-changes', [''])).toEqual({ ok: undefined });
    expect(await guest.call('status')).toEqual({ ok: 'running' });
    const again = guest.client();
    await again.connect();
    expect(await again.get('kept')).toBe('across a stop');
  });

  it('reports a redis-server killed with SIGKILL as CRASHED; restart, then start, bring it back', async () => {
    const guest = await startRedisGuest(cleanups);
    expect(await guest.call('prepare', [prepareRequest()])).toEqual({ ok: undefined });
    await guest.heartbeat('running');

    const first = guest.pid()!;
    process.kill(first, 'SIGKILL');
    await until(() => !isAlive(first), 'redis-server to die');
    expect(await guest.call('status')).toEqual({ ok: 'crashed' });
    // the host's own heartbeat probe sees it too
    await guest.heartbeat('crashed');

    expect(await guest.call('restart')).toEqual({ ok: undefined });
    expect(await guest.call('status')).toEqual({ ok: 'running' });
    const second = guest.pid()!;
    expect(second).not.toBe(first);
    expect(isAlive(second)).toBe(true);

    process.kill(second, 'SIGKILL');
    await until(() => !isAlive(second), 'redis-server to die');
    expect(await guest.call('status')).toEqual({ ok: 'crashed' });
    expect(await guest.call('start-db-with-conf-changes', [''])).toEqual({ ok: undefined });
    expect(await guest.call('status')).toEqual({ ok: 'running' });
    const client = guest.client();
    await client.connect();
    expect(await client.ping()).toBe('PONG');
  });

  it('restarts a running server into a new process, keeping the data', async () => {
    const guest = await startRedisGuest(cleanups);
    expect(await guest.call('prepare', [prepareRequest()])).toEqual({ ok: undefined });
    const client = guest.client();
    await client.connect();
    await client.set('kept', 'across a restart');
    const before = guest.pid();
    expect(await guest.call('restart')).toEqual({ ok: undefined });
    expect(guest.pid()).not.toBe(before);
    const again = guest.client();
    await again.connect();
    expect(await again.get('kept')).toBe('across a restart');
  });

  it('fails fast, naming the clash, when a foreign redis-server holds its port; the probe says FAILED', async () => {
    const port = await freePort();
    const foreign = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    cleanups.push(async () => {
      foreign.kill('SIGKILL');
      await new Promise((resolve) => (foreign.exitCode !== null ? resolve(undefined) : foreign.once('exit', resolve)));
    });
    const guest = await startRedisGuest(cleanups, { port });
    await guest.heartbeat('failed');
    const outcome = await guest.call('prepare', [prepareRequest()]);
    expect(outcome).toMatchObject({ err: { tag: 'failed', val: { operation: 'prepare', detail: expect.stringMatching(/refuses the admin user/) } } });
    expect(foreign.exitCode).toBeNull();
  });
});
