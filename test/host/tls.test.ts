import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GuestHub } from '../../server/rpc/guest-hub.js';
import { TOKEN, guestFixture, runHost, until } from '../support/guest-host.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A CA and a server certificate for 127.0.0.1 signed by it, made with the openssl CLI. */
async function certificates(dir: string): Promise<{ ca: string; key: Buffer; cert: Buffer }> {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=berth test CA');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  await import('node:fs/promises').then((fs) => fs.writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n'));
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext');
  return { ca: join(dir, 'ca.pem'), key: await readFile(join(dir, 'server.key')), cert: await readFile(join(dir, 'server.pem')) };
}

async function tlsHub(key: Buffer, cert: Buffer) {
  const hub = new GuestHub({ authenticate: (id, token) => id === 'inst-1' && token === TOKEN });
  const https = createServer({ key, cert }, (_req, res) => res.writeHead(404).end());
  hub.attach(https);
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    await hub.close();
    https.closeAllConnections();
    await new Promise((resolve) => https.close(resolve));
  });
  return { hub, url: `wss://127.0.0.1:${(https.address() as AddressInfo).port}/v1/guests` };
}

describe('the guest channel over TLS', () => {
  it('connects to a wss:// server whose certificate the configured CA signed, and refuses one it did not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-tls-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const { ca, key, cert } = await certificates(dir);
    const { hub, url } = await tlsHub(key, cert);

    const trusted = await guestFixture('counter', url, (config) => ((config.guest as Record<string, unknown>).ca_file = ca));
    cleanups.push(() => trusted.cleanup());
    const host = runHost(trusted.configPath, cleanups);
    await until(() => hub.isConnected('inst-1'), 'a TLS connection');
    expect(await hub.call('inst-1', 'status', [], 10_000)).toEqual({ ok: 'running' });
    host.child.kill('SIGTERM');
    await host.exited;

    // without the CA the host does not trust the server and never says hello
    const untrusted = await guestFixture('counter', url);
    cleanups.push(() => untrusted.cleanup());
    const stranger = runHost(untrusted.configPath, cleanups);
    const refusal = () => stranger.stderr().split('\n').find((line) => line.includes('server not reachable'));
    await until(() => refusal() !== undefined, 'the refusal in the log');
    expect(JSON.parse(refusal()!)).toMatchObject({ level: 40, err: expect.stringMatching(/certificate/) });
    expect(hub.isConnected('inst-1')).toBe(false);
    expect(stranger.child.exitCode).toBeNull();
  });
});
