import { connect } from 'node:net';
import type { ConnectionGrant } from './config/guest-config.js';
import type { ReplicationSource } from './capabilities/redis-command-policy.js';

export type DatastoreKind = ConnectionGrant['kind'];

/** PostgreSQL's SSLRequest: length 8, code 80877103 (1234 << 16 | 5679). */
const PG_SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/**
 * How each datastore shows it is serving, on a connection the host opens
 * itself: what the host sends first, and whether the bytes it got back are
 * the datastore's own first answer (true), need more bytes (undefined), or are
 * something else (false). A kernel completes a TCP handshake for a process
 * that is stopped or hung, so the connect alone proves nothing.
 */
interface FirstExchange {
  send?: Buffer;
  answered(received: Buffer): boolean | undefined;
}

const EXCHANGES: Record<DatastoreKind, FirstExchange> = {
  // 'S' or 'N' (TLS offered or not); 'E' is an error packet from a postmaster that is up but refusing
  postgresql: { send: PG_SSL_REQUEST, answered: (got) => (got.length < 1 ? undefined : [0x53, 0x4e, 0x45].includes(got[0]!)) },
  // the server speaks first: a packet header (3 bytes length, sequence 0), then protocol 10 or an error packet (0xff)
  mysql: { answered: (got) => (got.length < 5 ? undefined : got[3] === 0 && (got[4] === 0x0a || got[4] === 0xff)) },
  // +PONG, or an error reply (-NOAUTH, -ERR, -LOADING...): either is redis-server answering
  redis: { send: Buffer.from('PING\r\n'), answered: (got) => (got.length < 1 ? undefined : got[0] === 0x2b || got[0] === 0x2d) },
};

/**
 * The kind of datastore this host serves, as its config's connection grants
 * say (the manager cannot change them); undefined when they name none or
 * more than one kind.
 */
export function datastoreKind(connections: Readonly<Record<string, { kind: DatastoreKind }>>): DatastoreKind | undefined {
  const kinds = new Set(Object.values(connections).map((grant) => grant.kind));
  return kinds.size === 1 ? [...kinds][0] : undefined;
}

/**
 * Whether `source` answers within `timeoutMs`: with `kind`, the datastore's
 * own first exchange (above) must complete; without, a TCP connect is all
 * that is asked. The connection is closed as soon as that is known; no
 * credentials are sent.
 */
export function sourceAnswers(source: ReplicationSource, kind: DatastoreKind | undefined, timeoutMs: number): Promise<boolean> {
  const exchange = kind === undefined ? undefined : EXCHANGES[kind];
  return new Promise((resolve) => {
    const socket = connect({ host: source.host, port: source.port });
    let received = Buffer.alloc(0);
    const done = (reachable: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reachable);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => {
      if (!exchange) return done(true);
      if (exchange.send) socket.write(exchange.send);
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]).subarray(0, 64);
      const answered = exchange?.answered(received);
      if (answered !== undefined) done(answered);
    });
    socket.once('end', () => done(false));
    socket.once('error', () => done(false));
  });
}
