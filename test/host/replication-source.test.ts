import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplicationSourceRecord } from '../../host/replication-source.js';
import { datastoreKind, sourceAnswers, type DatastoreKind } from '../../host/source-probe.js';

// What guest.source-reachable answers from: the source of the server's latest attach-replica, kept in the
// host's state directory, and the bounded probe of it: the datastore's own first exchange, which a socket
// that accepts and never answers (a SIGSTOPped datastore, a hung machine) fails.
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
/** A listening socket whose connections `speak` handles (the kernel completes each handshake either way). */
const serving = (speak: (socket: Socket) => void) =>
  new Promise<number>((resolve) => {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      speak(socket);
    }).listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
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

  it('answers reachable only for a source that speaks its datastore\'s first exchange; not for one that accepts and stays silent, answers wrongly, or is closed', async () => {
    // what each datastore answers first (greetings as the real servers send them), and what the probe must send for it
    const answers: Record<DatastoreKind, { expects?: string; reply: Buffer }> = {
      postgresql: { expects: '0000000804d2162f', reply: Buffer.from('N') },
      mysql: { reply: Buffer.from([0x5b, 0, 0, 0, 0x0a, ...Buffer.from('10.11.6-MariaDB\0')]) },
      redis: { expects: Buffer.from('PING\r\n').toString('hex'), reply: Buffer.from('-NOAUTH Authentication required.\r\n') },
    };
    for (const [kind, { expects, reply }] of Object.entries(answers) as Array<[DatastoreKind, { expects?: string; reply: Buffer }]>) {
      const speaking = await serving((socket) => {
        if (!expects) return void socket.write(reply);
        socket.once('data', (got: Buffer) => socket.write(got.toString('hex') === expects ? reply : Buffer.from('?')));
      });
      expect([kind, await sourceAnswers({ host: '127.0.0.1', port: speaking }, kind, 2000)]).toEqual([kind, true]);
      const silent = await serving(() => undefined);
      expect([kind, await sourceAnswers({ host: '127.0.0.1', port: silent }, kind, 300)]).toEqual([kind, false]);
      const wrong = await serving((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
      expect([kind, await sourceAnswers({ host: '127.0.0.1', port: wrong }, kind, 2000)]).toEqual([kind, false]);
    }
    const closed = await serving(() => undefined);
    servers.splice(0).forEach((server) => server.close());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await sourceAnswers({ host: '127.0.0.1', port: closed }, 'redis', 2000)).toBe(false);
    // a host whose grants name no single kind falls back to the TCP connect
    expect(await sourceAnswers({ host: '127.0.0.1', port: await serving(() => undefined) }, undefined, 2000)).toBe(true);
  });

  it('takes the datastore kind from the connection grants: one kind, or none', () => {
    expect(datastoreKind({ admin: { kind: 'postgresql' }, replication: { kind: 'postgresql' } })).toBe('postgresql');
    expect(datastoreKind({ admin: { kind: 'mysql' } })).toBe('mysql');
    expect(datastoreKind({})).toBeUndefined();
    expect(datastoreKind({ a: { kind: 'mysql' }, b: { kind: 'redis' } })).toBeUndefined();
  });
});
