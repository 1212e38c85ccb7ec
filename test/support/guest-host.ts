import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'smol-toml';
import { GuestHub, type GuestHubOptions } from '../../server/rpc/guest-hub.js';
import { buildFixture } from './components.js';
import { transpileComponent } from '../../host/component/compile.js';
import { transpileHere } from '../../host/component/jco-transpile.js';
import { DEFAULT_HOST_CACHE_DIR } from '../../host/config/guest-config.js';
import { hostCommand, testHostIsBundle, testHostNode } from './host-under-test.js';

export const TOKEN = 'token-for-tests-0123456789';

export interface GuestFixture {
  dir: string;
  volume: string;
  wasm: string;
  sha256: string;
  configPath: string;
  cleanup(): Promise<void>;
}

/** A fixture manager, a data volume and a guest config pointing at `serverUrl`, in a fresh temp dir. */
export async function guestFixture(manager: string, serverUrl: string, overrides: (config: Record<string, unknown>) => void = () => undefined): Promise<GuestFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-guest-'));
  const volume = join(dir, 'volume');
  await mkdir(volume);
  const built = await buildFixture(manager, 'quickjs');
  const wasm = join(dir, `${manager}.wasm`);
  await writeFile(wasm, built.bytes);
  const config: Record<string, unknown> = {
    guest: { instance_id: 'inst-1', server_url: serverUrl, token: TOKEN },
    manager: { path: wasm, sha256: built.sha256 },
    options: { mount_point: '/var/lib/counter' },
    grants: { directories: [{ host: volume, guest: '/var/lib/counter', access: 'read-write' }] },
    // the journal and spool live with the fixture: no test sees another's records
    host: { report_interval: 0.2, call_timeout: 5, slow_call_timeout: 30, state_dir: join(dir, 'state'), spool_dir: join(dir, 'spool') },
  };
  overrides(config);
  await transpiledForHostUnderTest(built.bytes, built.sha256, (config.host as { cache_dir?: string }).cache_dir);
  const configPath = join(dir, 'guest.toml');
  await writeFile(configPath, stringify(config));
  return { dir, volume, wasm, sha256: built.sha256, configPath, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The packed host carries no jco: as on a database server (`berth pack` fills bundle/cache), it runs only a
 * manager whose transpile is in its cache_dir. Under BERTH_TEST_HOST=bundle, fill it here, in this process,
 * with the same transpile the installed host would make; the installed host makes its own.
 */
export async function transpiledForHostUnderTest(bytes: Uint8Array, sha256: string, cacheDir: string = DEFAULT_HOST_CACHE_DIR): Promise<void> {
  if (testHostIsBundle()) await transpileComponent(bytes, cacheDir, sha256, transpileHere);
}

/** A real `berth host` process (or the packed one, on BERTH_TEST_HOST_NODE's Node.js: host-under-test.ts); its stderr (pino JSON lines) is kept for assertions. */
export function spawnHost(
  configPath: string,
  nodeFlags: readonly string[] = [],
  host: 'under-test' | 'installed' = 'under-test',
): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(testHostNode(), [...nodeFlags, ...hostCommand(configPath, host)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

/** `spawnHost`, stopped (SIGTERM, then awaited) by the test's clean-up list. */
export function runHost(configPath: string, cleanups: Array<() => Promise<unknown>>, nodeFlags: readonly string[] = []): ReturnType<typeof spawnHost> {
  const host = spawnHost(configPath, nodeFlags);
  cleanups.push(async () => {
    host.child.kill('SIGTERM');
    await host.exited;
  });
  return host;
}

/** A GuestHub on a real HTTP server; `port` 0 picks a free one. */
export async function startHub(options: Partial<GuestHubOptions>, port = 0): Promise<{ hub: GuestHub; http: Server; url: string; port: number; close(): Promise<void> }> {
  const hub = new GuestHub({ authenticate: (id, token) => id === 'inst-1' && token === TOKEN, ...options });
  const http = createServer((_req, res) => res.writeHead(404).end());
  hub.attach(http);
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const actual = (http.address() as AddressInfo).port;
  return {
    hub,
    http,
    port: actual,
    url: `ws://127.0.0.1:${actual}/v1/guests`,
    async close() {
      await hub.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

export async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
