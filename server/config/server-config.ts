import { z } from 'zod';
import { timerSeconds } from '../../host/config/timer-seconds.js';
import { LEASE_MIN_MS } from '../../host/rpc/protocol.js';
import { datastoreConfigSchema } from '../registry/registry.js';
import { passwordHashProblem } from '../identity/password-hash.js';
import { flavorsConfigSchema } from '../flavors/flavor-catalog.js';

const DEFAULT_MAX_BACKUP_BYTES = 16 * 1024 ** 3;
const DEFAULT_MAX_PUBLISH_BYTES = 16 * 1024 ** 2;
const DEFAULT_MAX_PUBLICATIONS = 20;
const projectName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be letters, digits, _ or -');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be the sha256 (64 lowercase hex digits) of the token, not the token');

/**
 * The control plane's one config file (TOML or JSON). Validated once at
 * start into this typed config; see docs/server-config.md.
 */
export const serverConfigSchema = z.strictObject({
  server: z
    .strictObject({
      /** host:port of the REST API and the guest channel. */
      listen: z.string().regex(/^[^:]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:8779').default('127.0.0.1:8779'),
      /** How guests reach this server (ws:// or wss://); defaults to the listen address. */
      guest_url: z.string().regex(/^wss?:\/\//, 'must start with ws:// or wss://').optional(),
      data_dir: z.string().refine((p) => p.startsWith('/'), 'must be an absolute path').optional(),
    })
    .default({ listen: '127.0.0.1:8779' }),
  /** Where instances run: guest host processes on this machine (local) or servers someone else installs (external). */
  provisioner: z
    .strictObject({
      kind: z.enum(['local', 'external']),
      /**
       * Local only: the cgroup2 directory under which each instance gets a cgroup of its own
       * (made if missing, one level below an existing cgroup); default `<cgroup2 mount>/berth`.
       */
      cgroup_parent: z
        .string()
        .refine((p) => p.startsWith('/'), 'must be an absolute path in a cgroup2 hierarchy, e.g. /sys/fs/cgroup/berth (or leave it out to detect one)')
        .optional(),
    })
    .default({ kind: 'local' }),
  /** Where instances, tokens and tasks live: an SQLite file (embedded default) or PostgreSQL. */
  database: z.strictObject({ url: z.string().regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'must be sqlite:<path> or postgres://...') }).optional(),
  /** Bearer tokens by project: a token's sha256, never the token itself. */
  projects: z
    .array(
      z.strictObject({
        name: projectName,
        /** A digest alone never expires; with expires_at (ISO 8601) the token is refused from that moment on. */
        tokens_sha256: z.array(z.union([sha256, z.strictObject({ sha256, expires_at: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time such as 2027-01-31T00:00:00Z' }) })])).min(1),
      }),
    )
    .default([]),
  /** Who may log in at the Keystone-style identity endpoint (/v3/auth/tokens), and into which projects. */
  users: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'must be letters, digits, _ . @ or -'),
        /** scrypt$N$r$p$salt$hash, as `berth hash-password` prints it; never the password. */
        password_scrypt: z.string().superRefine((value, context) => {
          const problem = passwordHashProblem(value);
          if (problem) context.addIssue({ code: 'custom', message: problem });
        }),
        projects: z.array(projectName).min(1),
      }),
    )
    .default([])
    .refine((users) => new Set(users.map((user) => user.name)).size === users.length, 'user names must be unique'),
  identity: z
    .strictObject({
      /** How long a token the identity endpoint issues is valid. */
      token_lifetime: timerSeconds().default(3600),
    })
    .default({ token_lifetime: 3600 }),
  timeouts: z
    .strictObject({
      quick_call: timerSeconds().default(15),
      slow_call: timerSeconds().default(180),
      report_interval: timerSeconds().default(30),
      heartbeat_expiry: timerSeconds().default(90),
      /** How far ahead of this server's clock a guest's heartbeat or event may be dated; later ones are refused. */
      clock_skew: timerSeconds().default(30),
      /** A replication source's write lease (docs/replication.md, "The write lease"); half of heartbeat_expiry when not given. */
      write_lease: timerSeconds().min(LEASE_MIN_MS / 1000, `must be at least ${LEASE_MIN_MS / 1000} seconds`).optional(),
    })
    .refine((t) => t.write_lease === undefined || t.write_lease < t.heartbeat_expiry, { message: 'write_lease must be shorter than heartbeat_expiry: a source must fence itself before the server takes it for gone', path: ['write_lease'] })
    .default({ quick_call: 15, slow_call: 180, report_interval: 30, heartbeat_expiry: 90, clock_skew: 30 }),
  /** Where backups are kept: a directory of this server (embedded default); the interface admits an S3-compatible store later. */
  backups: z
    .strictObject({
      kind: z.literal('directory').default('directory'),
      /** Defaults to <data_dir>/backups. */
      path: z.string().refine((p) => p.startsWith('/'), 'must be an absolute path').optional(),
      /** Most bytes a guest may upload into one backup (16 GiB); more is refused while it streams. */
      max_bytes: z.number().int().positive('must be a positive number of bytes, e.g. 17179869184 for 16 GiB').default(DEFAULT_MAX_BACKUP_BYTES),
    })
    .default({ kind: 'directory', max_bytes: DEFAULT_MAX_BACKUP_BYTES }),
  /** Guest logs the server publishes (read from the guest, kept under <data_dir>/guest-logs); see docs/server-config.md. */
  guest_logs: z
    .strictObject({
      /** Most bytes one publish reads from the guest (16 MiB); the rest waits for the next publish and the publication says partial. */
      max_publish_bytes: z.number().int().positive('must be a positive number of bytes, e.g. 16777216 for 16 MiB').default(DEFAULT_MAX_PUBLISH_BYTES),
      /** Publications kept per instance and log (20); the oldest is dropped. */
      max_publications: z.number().int().positive('must be a positive number of publications').default(DEFAULT_MAX_PUBLICATIONS),
    })
    .default({ max_publish_bytes: DEFAULT_MAX_PUBLISH_BYTES, max_publications: DEFAULT_MAX_PUBLICATIONS }),
  datastores: z.array(datastoreConfigSchema).default([]),
  /** Trove's flavors: the sizes instances are created with; three built-in ones when none is configured. */
  flavors: flavorsConfigSchema,
});

export type ServerConfig = z.output<typeof serverConfigSchema>;
