// Issue 17: "deleting an instance sometimes left the spawned datastore running, reparented to
// init, still listening and serving data after its volume was removed". Delete found what the
// current guest host had started (its descendants), what works in the instance's directory and,
// as root, what runs as the instance's own user. A datastore spawned by an earlier run of the host
// (orphaned when that host was killed), working outside the instance's directory, on a server that
// is not root or with a shared local.run_as, was found by none of them. Every program a local
// instance's host runs now carries BERTH_INSTANCE=<id> (a granted variable, which no manager may
// override), and delete ends whatever carries it. Real processes, no mocks.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalProvisioner } from '../../../server/provisioning/local.js';
import { freePort, INSTANCE_MARKER, processesMarkedWith } from '../../../server/provisioning/local-machine.js';
import type { InstanceRecord } from '../../../server/store/store.js';

let dir: string | undefined;
const leftovers: number[] = [];
afterEach(async () => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // ended, as it should be
    }
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('issue 17: delete ends every process the instance started', () => {
  it('ends an orphaned datastore working outside the instance directory, by its mark, and nothing unmarked', async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-delete-processes-'));
    const id = 'a0b1c2d3-0000-4000-8000-000000000017';
    const port = await freePort();
    const server = `require('node:net').createServer((s) => s.end('data')).listen(${port}, '127.0.0.1')`;
    // as a spawned datastore left by a host that was killed: its own session, parent init, cwd "/",
    // the server's own user (a server that is not root), the mark in its environment
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', [INSTANCE_MARKER]: id };
    const orphan = spawnSync('/usr/bin/setsid', ['-f', process.execPath, '-e', server], { cwd: '/', env, stdio: 'ignore' });
    expect(orphan.status).toBe(0);
    // a process of another instance, and one of nobody's, both the same way: they must survive
    const other = spawnSync('/usr/bin/setsid', ['-f', '/usr/bin/sleep', '300'], { cwd: '/', env: { ...env, [INSTANCE_MARKER]: `${id}-other` }, stdio: 'ignore' });
    const unmarked = spawnSync('/usr/bin/setsid', ['-f', '/usr/bin/sleep', '301'], { cwd: '/', env: { PATH: env.PATH }, stdio: 'ignore' });
    expect(other.status).toBe(0);
    expect(unmarked.status).toBe(0);
    await eventually(() => listening(port), 'the datastore to listen');
    const [datastore] = processesMarkedWith(id);
    expect(datastore).toBeDefined();
    leftovers.push(datastore!, ...processesMarkedWith(`${id}-other`));
    const sleeper = Number(spawnSync('/usr/bin/pgrep', ['-f', '^/usr/bin/sleep 301$'], { encoding: 'utf8' }).stdout.trim());
    leftovers.push(sleeper);
    expect(parentOf(datastore!)).not.toBe(process.pid);

    const provisioner = new LocalProvisioner({ dataDir: dir });
    await provisioner.deprovision({ id } as InstanceRecord);

    expect(processesMarkedWith(id)).toEqual([]);
    expect(await listening(port)).toBe(false);
    expect(processesMarkedWith(`${id}-other`)).toHaveLength(1);
    expect(parentOf(sleeper)).toBeDefined();
  });
});
