import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionGrant } from '../config/guest-config.js';

const DEFAULT_PORTS: Record<ConnectionGrant['kind'], number> = { postgresql: 5432, mysql: 3306, redis: 6379 };
const TCP_LISTEN = '0A';
const UNIX_ACCEPTING = 0x10000; // __SO_ACCEPTCON: a listening socket

/** Where the instance's datastore listens, as its connection grants name it. */
export interface DatastoreAddresses {
  /** "address port", the address as /proc shows it decoded (127.0.0.1, ::1, 0.0.0.0, ::). */
  tcp: Set<string>;
  unix: Set<string>;
}

/**
 * The addresses the granted connections reach: the datastore is whatever
 * listens there. A URL's IP literal (or, for `localhost`, both loopbacks)
 * and the wildcard of its family, on its port; the kernel lets one socket at
 * a time listen on each, so a manager cannot pass off many programs as it.
 */
export function datastoreAddresses(connections: Readonly<Record<string, ConnectionGrant>>): DatastoreAddresses {
  const found: DatastoreAddresses = { tcp: new Set(), unix: new Set() };
  for (const grant of Object.values(connections)) {
    const defaultPort = DEFAULT_PORTS[grant.kind];
    let port = defaultPort;
    if (grant.url !== undefined) {
      const url = new URL(grant.url);
      port = url.port === '' ? defaultPort : Number(url.port);
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      const addresses = host === 'localhost' ? ['127.0.0.1', '::1'] : isIP(host) === 6 ? [normaliseV6(host)] : isIP(host) ? [host] : [];
      for (const address of addresses) {
        found.tcp.add(`${address} ${port}`);
        found.tcp.add(`${isIP(address) === 6 ? '::' : '0.0.0.0'} ${port}`);
      }
    }
    if (grant.socket !== undefined) {
      found.unix.add(grant.socket);
      // libpq's form: the socket's directory
      if (grant.kind === 'postgresql' && !/\/\.s\.PGSQL\.\d+$/.test(grant.socket)) found.unix.add(`${grant.socket.replace(/\/$/, '')}/.s.PGSQL.${port}`);
    }
  }
  return found;
}

/** Socket inodes listening on the datastore's addresses right now. */
export function datastoreListeners(addresses: DatastoreAddresses): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const fields of rows(table)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const [address, port] = fields[1]!.split(':');
      if (fields[3] === TCP_LISTEN && addresses.tcp.has(`${decodeAddress(address!)} ${parseInt(port!, 16)}`)) inodes.add(fields[9]!);
    }
  }
  for (const fields of rows('/proc/net/unix')) {
    // Num RefCount Protocol Flags Type St Inode Path
    if ((parseInt(fields[3]!, 16) & UNIX_ACCEPTING) !== 0 && fields[7] !== undefined && addresses.unix.has(fields[7])) inodes.add(fields[6]!);
  }
  return inodes;
}

/** Does this process hold one of these sockets? */
export function holdsSocket(pid: number, inodes: ReadonlySet<string>): boolean {
  if (inodes.size === 0) return false;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode !== undefined && inodes.has(inode)) return true;
    } catch {
      // closed meanwhile
    }
  }
  return false;
}

function rows(table: string): string[][] {
  try {
    return readFileSync(table, 'utf8').split('\n').slice(1).map((line) => line.trim().split(/\s+/)).filter((fields) => fields.length > 6);
  } catch {
    return []; // no IPv6 on this machine
  }
}

/** /proc/net/tcp{,6} hex: 32-bit words in host (little-endian) order. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => (word.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return normaliseV6(groups.join(':'));
}

function normaliseV6(address: string): string {
  // compare as Node writes them: the URL parser gives the compressed form
  return new URL(`http://[${address}]/`).hostname.replace(/^\[(.*)\]$/, '$1');
}
