import { z } from 'zod';
import { timerSeconds } from '../../host/config/timer-seconds.js';

/** Options only the server reads; never sent to a guest. */
export const SERVER_ONLY = ['tcp_ports', 'udp_ports', 'root_on_create', 'usage_timeout', 'volume_support', 'device_path', 'auto_failover'] as const;
/** Options only the guest reads; the server writes them into the guest config and nothing else. */
export const GUEST_ONLY = ['mount_point', 'backup_namespace', 'restore_namespace'] as const;

/** "5432", 5432 or "11209-11211": one port or an inclusive range, 1-65535. */
const portSpec = z.union([z.number().int(), z.string()]).transform((value, ctx) => {
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(String(value).trim());
  const from = match ? Number(match[1]) : NaN;
  const to = match?.[2] ? Number(match[2]) : from;
  if (!match || from < 1 || to > 65535 || to < from) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a port or port range such as 5432 or "11209-11211"` });
    return z.NEVER;
  }
  return { from, to };
});
export type PortRange = z.output<typeof portSpec>;

const wrongSide = (key: string, side: 'server' | 'guest') =>
  `${key} is a ${side === 'server' ? 'guest' : 'server'}-side option: move it to the [${side === 'server' ? 'guest' : 'server'}] table`;

const serverShape = {
  tcp_ports: z.array(portSpec),
  udp_ports: z.array(portSpec),
  root_on_create: z.boolean(),
  usage_timeout: timerSeconds().int(),
  backup_strategy: z.string(),
  volume_support: z.boolean(),
  device_path: z.string(),
  /** Berth's own, off unless set: a source whose heartbeats expire and whose replicas cannot reach it is failed over (docs/replication.md). */
  auto_failover: z.boolean(),
};

/** Server-side options; every key is optional here and filled from the datastore's defaults. */
export const serverOptionsSchema = z
  .object(serverShape)
  .partial()
  .catchall(z.unknown())
  .superRefine((options, ctx) => {
    for (const key of Object.keys(options)) {
      if (key in serverShape) continue;
      const message = (GUEST_ONLY as readonly string[]).includes(key)
        ? wrongSide(key, 'server')
        : `unknown server-side option ${key} (the server reads ${Object.keys(serverShape).join(', ')}); if the guest reads it, move it to the [guest] table`;
      ctx.addIssue({ code: 'custom', path: [key], message });
    }
  });

const guestValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))]);

/** Guest-side options: the known ones typed, the datastore's own keys free; server-only keys refused. */
export const guestOptionsSchema = z
  .object({
    mount_point: z.string().refine((p) => p.startsWith('/'), 'must be an absolute path'),
    backup_strategy: z.string(),
    backup_namespace: z.string(),
    restore_namespace: z.string(),
  })
  .partial()
  .catchall(guestValue)
  .superRefine((options, ctx) => {
    for (const key of Object.keys(options)) {
      if ((SERVER_ONLY as readonly string[]).includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: wrongSide(key, 'guest') });
    }
  });

export type ServerOptionsInput = z.input<typeof serverOptionsSchema>;
export type GuestOptions = z.output<typeof guestOptionsSchema>;
