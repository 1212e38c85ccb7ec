import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { timerSeconds } from '../../server/config/timer-seconds.js';

/**
 * The one file an image builder writes next to the manager: who the guest is,
 * which manager it runs, its guest-side options, and what it is granted.
 * Grants are deny by default: anything not listed here does not exist for the
 * manager. Validated once, at start, into this typed config.
 */
const absolutePath = z.string().refine((p) => p.startsWith('/'), 'must be an absolute path');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (sha256sum of the .wasm)');
const connectionName = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be lowercase letters, digits, _ or -');

export const directoryGrantSchema = z.strictObject({
  /** Path on this server. */
  host: absolutePath,
  /** Path the manager sees; defaults to the host path. */
  guest: absolutePath.optional(),
  access: z.enum(['read-only', 'read-write']).default('read-only'),
});

export const connectionGrantSchema = z.strictObject({
  kind: z.enum(['postgresql', 'mysql', 'redis']),
  /** postgres://, mysql:// or redis:// URL; credentials stay in the host. */
  url: z.string().url('must be a URL such as postgres://user@127.0.0.1:5432/postgres').optional(),
  /** Unix socket path, instead of a URL's host and port. */
  socket: absolutePath.optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  database: z.string().optional(),
});

export const grantsSchema = z.strictObject({
  directories: z.array(directoryGrantSchema).default([]),
  /** Programs the manager may run: absolute paths, resolved through symlinks at start. */
  programs: z.array(absolutePath).default([]),
  connections: z.record(connectionName, connectionGrantSchema).default({}),
  /** Environment variables given to every program the manager runs. */
  environment: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a shell-safe variable name'), z.string()).default({}),
});

export const hostSettingsSchema = z.strictObject({
  /** Heartbeat period, seconds (Trove's report_interval). */
  report_interval: timerSeconds().default(30),
  /** Deadline of quick calls and of slow ones (prepare, backup, restore...), seconds. */
  call_timeout: timerSeconds().default(15),
  slow_call_timeout: timerSeconds().default(180),
  /** Longest a program may run, and most output kept from it. */
  exec_timeout: timerSeconds().default(600),
  exec_output_limit: z.number().int().positive().default(16 * 1024 * 1024),
  /**
   * Most programs of the manager running at once: those `exec.spawn` started and still alive,
   * and `exec.run` calls in flight (both lanes together). Past it, run and spawn answer `denied`.
   */
  spawn_limit: z.number().int().min(1, 'must be at least 1 (the datastore itself is one)').max(1024, 'must be at most 1024').default(8),
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
  /** The manager's log lines and events: a burst, then so many a second (the rest dropped, counted); lines cut to a length. */
  log_burst: z.number().int().positive().default(1000),
  log_rate: z.number().positive().default(100),
  log_line_limit: z.number().int().min(80, 'must be at least 80 characters').default(4096),
  event_burst: z.number().int().positive().default(100),
  event_rate: z.number().positive().default(10),
  /** Where the transpiled manager is kept between starts (keyed by its sha256). */
  cache_dir: absolutePath.default(join(tmpdir(), 'berth-host-cache')),
  /** Where a backup waits between the manager and the server; needs room for the largest backup. */
  spool_dir: absolutePath.default(join(tmpdir(), 'berth-host-spool')),
  /** The journal of calls by request id, so a host that restarts never runs a re-sent call twice. */
  state_dir: absolutePath.default(join(tmpdir(), 'berth-host-state')),
  /**
   * The unprivileged user the host becomes after reading this file and loading its manager
   * (it must start as root to do so); the manager's programs, and so the datastore, run as it.
   */
  run_as: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a user name of this machine').optional(),
});

const optionValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))]);

export const guestConfigSchema = z.strictObject({
  guest: z.strictObject({
    instance_id: z.string().min(1),
    server_url: z.string().regex(/^wss?:\/\//, 'must start with ws:// or wss://'),
    /** CA bundle that signs the server's certificate (wss only). */
    ca_file: absolutePath.optional(),
    token: z.string().min(16, 'must be the instance token the server issued (at least 16 characters)'),
  }),
  manager: z.strictObject({
    path: absolutePath,
    sha256: sha256.optional(),
  }),
  /** Guest-side datastore options, handed to the manager through wasi:config/store. */
  options: z.record(z.string(), optionValue).default({}),
  grants: grantsSchema.default({ directories: [], programs: [], connections: {}, environment: {} }),
  host: hostSettingsSchema.default({
    report_interval: 30,
    call_timeout: 15,
    slow_call_timeout: 180,
    exec_timeout: 600,
    exec_output_limit: 16 * 1024 * 1024,
    spawn_limit: 8,
    log_level: 'info',
    log_burst: 1000,
    log_rate: 100,
    log_line_limit: 4096,
    event_burst: 100,
    event_rate: 10,
    cache_dir: join(tmpdir(), 'berth-host-cache'),
    spool_dir: join(tmpdir(), 'berth-host-spool'),
    state_dir: join(tmpdir(), 'berth-host-state'),
  }),
});

export type GuestConfig = z.infer<typeof guestConfigSchema>;
export type Grants = z.infer<typeof grantsSchema>;
export type ConnectionGrant = z.infer<typeof connectionGrantSchema>;
export type HostSettings = z.infer<typeof hostSettingsSchema>;

/** Options reach the component as strings: text as it is, anything else as JSON (the SDK decodes by schema). */
export function optionsForConfigStore(options: GuestConfig['options']): Record<string, string> {
  return Object.fromEntries(Object.entries(options).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]));
}
