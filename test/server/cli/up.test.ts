import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { until } from '../../support/guest-host.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-up-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npx berth up', () => {
  it('starts with embedded defaults, serves PostgreSQL to an ordinary client through a local instance, and stops everything on Ctrl-C', async () => {
    const child = spawn('npx', ['--no-install', 'berth', 'up', '--data-dir', dir, '--listen', '127.0.0.1:0'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      // the first build of the PostgreSQL manager takes a while on a cold cache
      await until(() => stdout.includes('Berth is up on'), `berth up to start\n${stderr}`, 240_000);
      expect(stderr).toContain('building the postgresql manager');
      const url = /Berth is up on (\S+)/.exec(stdout)![1]!;
      const token = /token:\s+(\S+)/.exec(stdout)![1]!;
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const datastores = (await (await fetch(`${url}/v1.0/default/datastores`, { headers })).json()) as { datastores: Array<{ name: string }> };
      expect(datastores.datastores.map((d) => d.name).sort()).toEqual(['directory', 'postgresql']);

      // what the README shows: an instance with a database and a user, then an ordinary client
      const body = { instance: { name: 'first', datastore: { type: 'postgresql' }, databases: [{ name: 'sales' }], users: [{ name: 'ada', password: 'ada-password-1', databases: [{ name: 'sales' }] }] } };
      const created = (await (await fetch(`${url}/v1.0/default/instances`, { method: 'POST', headers, body: JSON.stringify(body) })).json()) as { instance: { id: string; status: string } };
      const id = created.instance.id;
      let instance: { status: string; port: number; fault?: { message: string } } = { status: created.instance.status, port: 0 };
      for (let i = 0; i < 1200 && instance.status === 'BUILD'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        instance = ((await (await fetch(`${url}/v1.0/default/instances/${id}`, { headers })).json()) as { instance: typeof instance }).instance;
      }
      expect(instance).toMatchObject({ status: 'ACTIVE' });
      const client = new pg.Client({ host: '127.0.0.1', port: instance.port, user: 'ada', password: 'ada-password-1', database: 'sales' });
      await client.connect();
      await client.query('CREATE TABLE t (n int)');
      await client.query('INSERT INTO t VALUES (42)');
      expect((await client.query('SELECT n FROM t')).rows).toEqual([{ n: 42 }]);
      await client.end();
    } finally {
      // what Ctrl-C does: SIGINT to the foreground process group (npm, its shell, the server; not the guests)
      process.kill(-child.pid!, 'SIGINT');
    }
    await exited;
    // the local guests and their PostgreSQL went with the server: no process is left running from this data directory
    const running = () =>
      readdirSync('/proc')
        .filter((pid) => /^\d+$/.test(pid))
        .some((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
          } catch {
            return false;
          }
        });
    await until(() => !running(), 'the guest hosts to stop', 15_000);
  }, 400_000);
});
