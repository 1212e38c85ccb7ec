import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplicationSourceRecord, tcpReachable } from '../../host/replication-source.js';

// What guest.source-reachable answers from: the source of the server's latest attach-replica, kept in the
// host's state directory, and a bounded TCP connect to it (a real listening socket, a closed port).
const dirs: string[] = [];
const servers: Server[] = [];
afterEach(() => {
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  servers.splice(0).forEach((server) => server.close());
});
const stateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-replication-source-'));
  dirs.push(dir);
  return join(dir, 'state');
};
const attach = (host: string, port: number) => [{ snapshotId: '', source: { host, port, user: 'u', password: 'p' }, logPosition: '', extra: [] }, []];
const listening = () =>
  new Promise<number>((resolve) => {
    const server = createServer((socket) => socket.destroy()).listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    servers.push(server);
  });

describe('the replication source a host keeps', () => {
  it('is the source of the latest attach-replica, kept across a restart of the host, dropped by detach-replica and enable-as-master', () => {
    const dir = stateDir();
    const record = new ReplicationSourceRecord(dir);
    expect(record.current()).toBeUndefined();
    record.note('attach-replica', attach('127.0.0.1', 6400));
    record.note('get-last-txn', []);
    expect(record.current()).toEqual({ host: '127.0.0.1', port: 6400 });
    expect(new ReplicationSourceRecord(dir).current()).toEqual({ host: '127.0.0.1', port: 6400 });
    record.note('detach-replica', [true]);
    expect(new ReplicationSourceRecord(dir).current()).toBeUndefined();
    record.note('attach-replica', attach('127.0.0.1', 6401));
    record.note('enable-as-master', [[]]);
    expect(record.current()).toBeUndefined();
  });

  it('grants nothing for a source without a host or a valid port, and ignores a damaged file', () => {
    const dir = stateDir();
    const record = new ReplicationSourceRecord(dir);
    record.note('attach-replica', attach('', 6400));
    expect(record.current()).toBeUndefined();
    record.note('attach-replica', attach('127.0.0.1', 70000));
    expect(record.current()).toBeUndefined();
    writeFileSync(join(dir, 'replication-source.json'), '{"host": 5');
    expect(new ReplicationSourceRecord(dir).current()).toBeUndefined();
  });

  it('answers reachable for a listening source and not for a closed port', async () => {
    const port = await listening();
    expect(await tcpReachable({ host: '127.0.0.1', port }, 2000)).toBe(true);
    servers.splice(0).forEach((server) => server.close());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await tcpReachable({ host: '127.0.0.1', port }, 2000)).toBe(false);
  });
});
