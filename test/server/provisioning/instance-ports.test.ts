import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ephemeralRange, instancePortRange, InstancePorts, portsOfInstances } from '../../../server/provisioning/instance-ports.js';

const dirs: string[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function instancesDir(ports: Record<string, number>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-ports-'));
  dirs.push(dir);
  for (const [id, port] of Object.entries(ports)) {
    mkdirSync(join(dir, id));
    writeFileSync(join(dir, id, 'guest.toml'), `[guest]\ninstance_id = "${id}"\n\n[options]\nport = ${port}\nmount_point = "/v"\n`);
  }
  return dir;
}

function listen(port: number): Promise<void> {
  const server = createServer();
  servers.push(server);
  return new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
}

describe('instance ports', () => {
  it('come from outside the kernel ephemeral range, which bind(0) and outgoing connections use', () => {
    const ephemeral = ephemeralRange();
    const range = instancePortRange(ephemeral);
    expect(range.high < ephemeral.low || range.low > ephemeral.high).toBe(true);
    expect(instancePortRange({ low: 32768, high: 60999 })).toEqual({ low: 20000, high: 32767 });
    expect(instancePortRange({ low: 1024, high: 50000 })).toEqual({ low: 50001, high: 65535 });
  });

  it('are never another instance port, even while that instance datastore is down', async () => {
    const dir = instancesDir({ a: 21000, b: 21002 });
    expect([...portsOfInstances(dir, ['port'])].sort()).toEqual([21000, 21002]);
    const ports = new InstancePorts(dir, { low: 21000, high: 21002 });
    expect(await ports.allocate(['port'])).toBe(21001);
    // handed out once, not again before its guest config is written
    await expect(ports.allocate(['port'])).rejects.toThrow(/no free port/);
  });

  it('are never one something listens on now', async () => {
    await listen(21103);
    const ports = new InstancePorts(instancesDir({}), { low: 21103, high: 21104 });
    expect(await ports.allocate(['port'])).toBe(21104);
  });

  it('skip a guest config that cannot be read', async () => {
    const dir = instancesDir({ a: 21200 });
    mkdirSync(join(dir, 'broken'));
    writeFileSync(join(dir, 'broken', 'guest.toml'), 'not = [toml');
    expect([...portsOfInstances(dir, ['port'])]).toEqual([21200]);
  });
});
