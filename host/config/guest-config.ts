import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { CONNECTION_KINDS } from '../../datastores/toolchain/manifest.js';
import { MAX_TIMER_SECONDS, timerSeconds } from './timer-seconds.js';
import { DEFAULT_MEMORY_LIMIT_BYTES } from '../component/memory-ceiling.js';
import { DEFAULT_RESULT_LIMIT, FRAME_ENVELOPE_BYTES, MAX_FRAME_BYTES, MAX_RESULT_LIMIT } from '../rpc/protocol.js';

const MIB = 1024 * 1024;

/** host.cache_dir when the config names none. */
export const DEFAULT_HOST_CACHE_DIR = join(tmpdir(), 'berth-host-cache');

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

/** A connection grant's fields; connectionGrantSchema adds the checks across them. */
/** "{admin_password}" left in a grant by a template (guest.toml.example, the registry's): a value never filled in. */
function unfilled(text: string): string | undefined {
  const placeholder = /\{[a-z][a-z0-9_]*\}/i;
  let decoded = text;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    // not percent-encoded text: read as written
  }
  return placeholder.exec(text)?.[0] ?? placeholder.exec(decoded)?.[0];
}
const filledIn = (schema: z.ZodString) =>
  schema.superRefine((text, context) => {
    const placeholder = unfilled(text);
    if (placeholder) context.addIssue({ code: 'custom', message: `has ${placeholder} in it, a placeholder never filled in: replace it with that option's value` });
  });

export const connectionGrantFields = z.strictObject({
  kind: z.enum(CONNECTION_KINDS),
  /** postgres://, mysql:// or redis:// URL; credentials stay in the host. */
  url: filledIn(z.string().url('must be a URL such as postgres://user@127.0.0.1:5432/postgres')).optional(),
  /** Unix socket path, instead of a URL's host and port. */
  socket: absolutePath.optional(),
  user: z.string().optional(),
  password: filledIn(z.string()).optional(),
  database: z.string().optional(),
  /**
   * PostgreSQL only: the cluster's bootstrap superuser, which the host (never
   * the manager) logs in as when the grant's own role is refused, to create
   * that role without superuser and run `bootstrap_sql` (trusted text from
   * this config) for what it needs (connections-postgres-role.ts).
   */
  bootstrap_url: filledIn(z.string().url('must be a URL such as postgres://berth_bootstrap:secret@127.0.0.1:5432/postgres')).optional(),
  bootstrap_sql: z.array(z.string().min(1)).optional(),
  /**
   * MySQL only: the directory the server's secure_file_priv must name. The
   * host refuses a connection to a server started without it, or with another
   * (INTO OUTFILE, LOAD_FILE and LOAD DATA INFILE reach only there).
   */
  secure_file_priv: absolutePath.optional(),
});

export const connectionGrantSchema = connectionGrantFields.refine((grant) => grant.kind === 'postgresql' || (grant.bootstrap_url === undefined && grant.bootstrap_sql === undefined), {
  message: 'bootstrap_url and bootstrap_sql are for postgresql connections only',
  path: ['bootstrap_url'],
}).refine((grant) => grant.kind === 'mysql' || grant.secure_file_priv === undefined, {
  message: 'secure_file_priv is for mysql connections only',
  path: ['secure_file_priv'],
}).refine((grant) => grant.bootstrap_sql === undefined || grant.bootstrap_url !== undefined, {
  message: 'bootstrap_sql needs bootstrap_url (the superuser that runs it)',
  path: ['bootstrap_sql'],
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
  /**
   * How long each lane's manager instance (its worker thread, its memory) stays after its last
   * call, seconds; the next call starts a fresh one. The quick lane serves the heartbeat's status
   * probe, so below report_interval it is down between heartbeats (a worker start, about 50 ms of
   * CPU, per heartbeat); 0 keeps it running.
   */
  quick_lane_idle_stop: z.number().min(0).max(MAX_TIMER_SECONDS, `must be at most ${MAX_TIMER_SECONDS} seconds (24 days)`).default(5),
  slow_lane_idle_stop: timerSeconds().default(60),
  /** Longest a program may run, and most output kept from it. */
  exec_timeout: timerSeconds().default(600),
  exec_output_limit: z.number().int().positive().default(16 * 1024 * 1024),
  /**
   * Most memory one manager instance may use, bytes, per lane (two lanes: twice this): its
   * linear memory, and its worker's JS heap likewise. Past it allocations fail and the
   * instance is replaced (BERTH_ERR_MEMORY_LIMIT).
   */
  memory_limit: z
    .number()
    .int()
    .min(32 * MIB, `must be at least ${32 * MIB} bytes (32 MiB): the JS engines start at 7-17 MiB`)
    .max(4096 * MIB, `must be at most ${4096 * MIB} bytes (4 GiB, all a wasm32 memory can address)`)
    .default(DEFAULT_MEMORY_LIMIT_BYTES),
  /**
   * Most bytes a call's answer (or its arguments) may take on the guest channel; a larger one is
   * refused with BERTH_ERR_PAYLOAD_TOO_LARGE. At most the channel's frame limit less the frame's
   * envelope, so an answer allowed here always fits in a frame the server accepts.
   */
  result_limit: z
    .number()
    .int()
    .positive()
    .max(MAX_RESULT_LIMIT, `must be at most ${MAX_RESULT_LIMIT} bytes (the guest channel's ${MAX_FRAME_BYTES}-byte frame limit less ${FRAME_ENVELOPE_BYTES} bytes of envelope)`)
    .default(DEFAULT_RESULT_LIMIT),
  /**
   * Most programs of the manager running at once: those `exec.spawn` started and still alive,
   * and `exec.run` calls in flight (both lanes together). Past it, run and spawn answer `denied`.
   */
  spawn_limit: z.number().int().min(1, 'must be at least 1 (the datastore itself is one)').max(1024, 'must be at most 1024').default(8),
  /**
   * Start the datastore when the host starts, if it ran before and was not stopped with
   * disable-autostart (like an enabled system service). Off where something else (systemd) does.
   */
  autostart: z.boolean().default(true),
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
  /** The manager's log lines and events: a burst, then so many a second (the rest dropped, counted); lines cut to a length. */
  log_burst: z.number().int().positive().default(1000),
  log_rate: z.number().positive().default(100),
  log_line_limit: z.number().int().min(80, 'must be at least 80 characters').default(4096),
  event_burst: z.number().int().positive().default(100),
  event_rate: z.number().positive().default(10),
  /** Where the transpiled manager is kept between starts (keyed by its sha256). */
  cache_dir: absolutePath.default(DEFAULT_HOST_CACHE_DIR),
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
    instance_id: z.string().min(1, 'must be the instance id the server issued for this guest'),
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
    quick_lane_idle_stop: 5,
    slow_lane_idle_stop: 60,
    exec_timeout: 600,
    exec_output_limit: 16 * 1024 * 1024,
    memory_limit: DEFAULT_MEMORY_LIMIT_BYTES,
    result_limit: DEFAULT_RESULT_LIMIT,
    spawn_limit: 8,
    autostart: true,
    log_level: 'info',
    log_burst: 1000,
    log_rate: 100,
    log_line_limit: 4096,
    event_burst: 100,
    event_rate: 10,
    cache_dir: DEFAULT_HOST_CACHE_DIR,
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
