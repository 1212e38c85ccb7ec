import { ManagerError } from '../sdk/index.js';

type KeyValue = { key: string; value: string };

/** A replica's role and slot name, as the server derives it from the instance id (docs/replication.md). */
export const REPLICA_NAME = /^berth_[0-9a-f]{32}$/;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:.]{2,45}$/;
/** What a conninfo host may be: a name or an address, no spaces, quotes or backslashes. */
const HOST = /^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/;

export function setting(settings: readonly KeyValue[], key: string): string | undefined {
  return settings.find((kv) => kv.key === key)?.value;
}

export function checkReplicaName(name: string, field = 'replica-name'): string {
  if (!REPLICA_NAME.test(name)) throw ManagerError.invalidArgument(field, `"${name}" is not berth_ and 32 hex digits`);
  return name;
}

export function replicaName(settings: readonly KeyValue[]): string {
  return checkReplicaName(setting(settings, 'replica-name') ?? '');
}

/** The replica's address as a pg_hba.conf CIDR of that one address. */
export function replicaCidr(settings: readonly KeyValue[]): string {
  const host = setting(settings, 'replica-host') ?? '';
  if (IPV4.test(host)) return `${host}/32`;
  if (host.includes(':') && IPV6.test(host)) return `${host}/128`;
  throw ManagerError.invalidArgument('replica-host', `"${host}" is not an IPv4 or IPv6 address`);
}

/** enable-as-master's `replicas`: comma-separated replica names, possibly none. */
export function replicaList(settings: readonly KeyValue[]): string[] {
  const listed = (setting(settings, 'replicas') ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  return listed.map((name) => checkReplicaName(name, 'replicas'));
}

export interface Upstream {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** The source a replica follows, checked before it goes into primary_conninfo. */
export function checkUpstream(source: Upstream): Upstream {
  if (!HOST.test(source.host)) throw ManagerError.invalidArgument('source.host', `"${source.host}" is not a host name or address`);
  if (!Number.isInteger(source.port) || source.port < 1 || source.port > 65535) throw ManagerError.invalidArgument('source.port', `${source.port} is not a port`);
  checkReplicaName(source.user, 'source.user');
  if (source.password === '' || /[\u0000-\u001f\u007f]/.test(source.password)) throw ManagerError.invalidArgument('source.password', 'must be non-empty, without control characters');
  return source;
}

/** A value inside a libpq conninfo string: single-quoted, quote and backslash escaped. */
export function conninfoValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A postgresql.conf string: the parser reads backslash escapes, and '' as a quote. */
export function confString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
