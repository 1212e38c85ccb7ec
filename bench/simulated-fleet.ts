/**
 * A `berth server` child process with the external provisioner, and guests
 * that speak the real protocol without a sandbox behind them: hello,
 * heartbeats every report interval, and answers to guest.call from a handler.
 * For benchmarks that need more guests than real hosts would fit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import WebSocket from 'ws';
import { PACKAGE_ROOT } from '../datastores/toolchain/paths.js';
import { RpcPeer } from '../host/rpc/peer.js';
import { SUBPROTOCOL, type MethodParams, type MethodResult } from '../host/rpc/protocol.js';
import { webSocketTransport } from '../host/rpc/transport.js';

export interface ChildServer {
  child: ChildProcess;
  url: string;
  /** The server's stdout (its log). */
  logPath: string;
}

/** `berth server --config <dir>/server.json` with this config; resolves once it listens. */
export async function startChildServer(dir: string, config: unknown): Promise<ChildServer> {
  const configPath = join(dir, 'server.json');
  await writeFile(configPath, JSON.stringify(config));
  const logPath = join(dir, 'server.log');
  const log = openSync(logPath, 'a');
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist', 'server', 'cli', 'berth.js'), 'server', '--config', configPath], { stdio: ['ignore', log, 'pipe'] });
  closeSync(log);
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // a server that never listened is not left behind
      reject(new Error(`berth server did not start within 30 s: ${stderr}`));
    }, 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`berth server exited (${code}): ${stderr}`)));
  });
  return { child, url, logPath };
}

export interface GuestIdentity {
  id: string;
  token: string;
  serverUrl: string;
  /** The guest config the server rendered, as it would be installed on a real server. */
  guestConfig: string;
}

/** POST /instances on an external-provisioner server; the guest config it returns names the guest. */
export async function createInstance(url: string, project: string, token: string, name: string, datastore: string): Promise<GuestIdentity> {
  const response = await fetch(`${url}/v1.0/${project}/instances`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ instance: { name, datastore: { type: datastore } } }),
  });
  const body = (await response.json()) as { guest_config: string };
  if (response.status !== 200) throw new Error(`create: ${response.status} ${JSON.stringify(body)}`);
  const config = parseToml(body.guest_config) as { guest: { instance_id: string; token: string; server_url: string } };
  return { id: config.guest.instance_id, token: config.guest.token, serverUrl: config.guest.server_url, guestConfig: body.guest_config };
}

export type CallHandler = (params: MethodParams<'guest.call'>) => Promise<MethodResult<'guest.call'>>;

export interface SimulatedGuest {
  peer: RpcPeer;
  stop(): void;
}

/** Dial, say hello with this manifest, heartbeat "running" on connection and every interval, answer calls. */
export async function connectGuest(guest: GuestIdentity, hello: { manifest: unknown; sha256: string }, onCall: CallHandler, reportMs: number): Promise<SimulatedGuest> {
  const socket = new WebSocket(guest.serverUrl, SUBPROTOCOL, { handshakeTimeout: 30_000 });
  const transport = webSocketTransport(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const peer = new RpcPeer(transport, { handlers: { 'guest.ping': async () => ({ pong: true as const }), 'guest.call': onCall } });
  const accepted = await peer.request('guest.hello', { instanceId: guest.id, token: guest.token, hostVersion: '0.1.0', ...hello }, 30_000, `hello-${guest.id}`);
  let seq = 0;
  const beat = () => peer.notify('guest.heartbeat', { seq: seq++, sentAt: Date.now(), status: 'running' });
  beat();
  const timer = setInterval(beat, accepted.reportIntervalMs ?? reportMs);
  peer.onClose(() => clearInterval(timer));
  return {
    peer,
    stop() {
      clearInterval(timer);
      peer.close();
    },
  };
}
