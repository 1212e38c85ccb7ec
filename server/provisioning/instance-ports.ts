import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parse } from 'smol-toml';

const EPHEMERAL_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';
/** Below this, ports belong to well-known services and to operators' habits. */
const LOWEST_INSTANCE_PORT = 20_000;
const ATTEMPTS = 200;

export interface PortRange {
  low: number;
  high: number;
}

/** The range the kernel picks from for bind(0) and for the local end of outgoing connections. */
export function ephemeralRange(file = EPHEMERAL_RANGE_FILE): PortRange {
  try {
    const [low, high] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    if (low && high && low <= high) return { low, high };
  } catch {
    // not Linux: the IANA range
  }
  return { low: 49_152, high: 65_535 };
}

/**
 * Where instance ports come from: outside the ephemeral range. A datastore's
 * port is free whenever the datastore is down (a restart, a reboot). A port the
 * kernel may hand to anyone's bind(0) or outgoing connection in that moment
 * could be taken, and then the datastore either fails to start or, worse, its
 * clients reach whatever took the port.
 */
export function instancePortRange(ephemeral = ephemeralRange()): PortRange {
  if (ephemeral.low - 1 - LOWEST_INSTANCE_PORT >= 1000) return { low: LOWEST_INSTANCE_PORT, high: ephemeral.low - 1 };
  if (65_535 - (ephemeral.high + 1) >= 1000) return { low: ephemeral.high + 1, high: 65_535 };
  return { low: LOWEST_INSTANCE_PORT, high: 65_535 };
}

/** Nothing listens on the port on any IPv4 address now. */
export function portBindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The ports named by `keys` in every instance's guest config under `instancesDir`: held even while their datastores are down. */
export function portsOfInstances(instancesDir: string, keys: readonly string[]): Set<number> {
  const ports = new Set<number>();
  if (!existsSync(instancesDir)) return ports;
  for (const id of readdirSync(instancesDir)) {
    const file = join(instancesDir, id, 'guest.toml');
    let options: Record<string, unknown>;
    try {
      options = (parse(readFileSync(file, 'utf8')).options ?? {}) as Record<string, unknown>;
    } catch {
      continue;
    }
    for (const key of keys) if (typeof options[key] === 'number') ports.add(options[key]);
  }
  return ports;
}

/**
 * Ports for local instances: outside the ephemeral range, free now, and not
 * another instance's (whose datastore may be down at this moment).
 */
export class InstancePorts {
  /** Handed out by this process but maybe not yet written into a guest config. */
  private readonly handedOut = new Set<number>();

  constructor(
    private readonly instancesDir: string,
    private readonly range: PortRange = instancePortRange(),
  ) {}

  async allocate(keys: readonly string[]): Promise<number> {
    const held = portsOfInstances(this.instancesDir, keys);
    const size = this.range.high - this.range.low + 1;
    const start = Math.floor(Math.random() * size);
    for (let i = 0; i < Math.min(size, ATTEMPTS); i++) {
      const port = this.range.low + ((start + i) % size);
      if (held.has(port) || this.handedOut.has(port)) continue;
      if (!(await portBindable(port))) continue;
      this.handedOut.add(port);
      return port;
    }
    throw new Error(`no free port for a new instance in ${this.range.low}-${this.range.high} after ${ATTEMPTS} tries`);
  }
}
