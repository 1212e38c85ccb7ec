import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  it('starts with embedded defaults, serves the API with the token it prints, runs a local instance, and stops its guests on Ctrl-C', async () => {
    const child = spawn('npx', ['--no-install', 'berth', 'up', '--data-dir', dir, '--listen', '127.0.0.1:0'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await until(() => stdout.includes('Berth is up on'), `berth up to start\n${stderr}`, 60_000);
      expect(stderr).toContain('building the example manager');
      const url = /Berth is up on (\S+)/.exec(stdout)![1]!;
      const token = /token:\s+(\S+)/.exec(stdout)![1]!;
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const datastores = await (await fetch(`${url}/v1.0/default/datastores`, { headers })).json();
      expect(datastores).toMatchObject({ datastores: [{ name: 'directory' }] });

      const created = (await (await fetch(`${url}/v1.0/default/instances`, { method: 'POST', headers, body: JSON.stringify({ instance: { name: 'first', datastore: { type: 'directory' } } }) })).json()) as { instance: { id: string; status: string } };
      const id = created.instance.id;
      let status = created.instance.status;
      for (let i = 0; i < 300 && status !== 'ACTIVE'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = ((await (await fetch(`${url}/v1.0/default/instances/${id}`, { headers })).json()) as { instance: { status: string } }).instance.status;
      }
      expect(status).toBe('ACTIVE');
      expect((await fetch(`${url}/v1.0/default/instances/${id}/databases`, { method: 'POST', headers, body: JSON.stringify({ databases: [{ name: 'sales' }] }) })).status).toBe(202);
      expect(await (await fetch(`${url}/v1.0/default/instances/${id}/databases`, { headers })).json()).toEqual({ databases: [{ name: 'sales' }] });
      expect(existsSync(join(dir, 'instances', id, 'volume', 'sales'))).toBe(true);
    } finally {
      // what Ctrl-C does: SIGINT to the foreground process group (npm, its shell, the server; not the guests)
      process.kill(-child.pid!, 'SIGINT');
    }
    await exited;
    // the local guests went with the server: no process is left running from this data directory
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
  });
});
