import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { datastoreAddresses, datastoreListeners, holdsSocket } from '../../../host/capabilities/datastore-listeners.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A listener in this process; answers its port. */
async function listen(options: { port?: number; host?: string; path?: string }): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (options.path) server.listen(options.path, resolve);
    else server.listen(options.port ?? 0, options.host, resolve);
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

describe('the datastore: what listens where a connection grant points', () => {
  it('finds a listener on the granted IPv4 address and port, and not one on another port or address', async () => {
    const port = await listen({ host: '127.0.0.1' });
    const granted = datastoreAddresses({ admin: { kind: 'mysql', url: `mysql://os_admin@127.0.0.1:${port}/mysql` } });
    expect(holdsSocket(process.pid, datastoreListeners(granted))).toBe(true);
    const elsewhere = datastoreAddresses({ admin: { kind: 'mysql', url: `mysql://os_admin@127.0.0.2:${port}/mysql` } });
    expect(holdsSocket(process.pid, datastoreListeners(elsewhere))).toBe(false);
    const otherPort = datastoreAddresses({ admin: { kind: 'redis', url: `redis://127.0.0.1:${port === 65535 ? 1 : port + 1}` } });
    expect(holdsSocket(process.pid, datastoreListeners(otherPort))).toBe(false);
  });

  it('counts the wildcard of the granted family, localhost as both loopbacks, and IPv6 literals', async () => {
    const wildcard = await listen({ host: '0.0.0.0' });
    expect(holdsSocket(process.pid, datastoreListeners(datastoreAddresses({ admin: { kind: 'redis', url: `redis://localhost:${wildcard}` } })))).toBe(true);
    const v6 = await listen({ host: '::1' }).catch(() => undefined);
    // a machine without IPv6 has no ::1 to listen on
    if (v6 !== undefined) expect(holdsSocket(process.pid, datastoreListeners(datastoreAddresses({ admin: { kind: 'redis', url: `redis://[::1]:${v6}` } })))).toBe(true);
  });

  it('finds a listener on the granted Unix socket, and nothing when nothing listens there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-listeners-'));
    try {
      const socket = join(dir, 'redis.sock');
      const granted = datastoreAddresses({ admin: { kind: 'redis', socket } });
      expect(holdsSocket(process.pid, datastoreListeners(granted))).toBe(false);
      await listen({ path: socket });
      expect(holdsSocket(process.pid, datastoreListeners(granted))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
