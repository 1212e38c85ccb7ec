import { z } from 'zod';
import { ALL_OPERATIONS, type OperationName } from '../../datastores/sdk/operations.js';

/** The WebSocket subprotocol; a new major version gets a new name. */
export const SUBPROTOCOL = 'berth.guest.v1';
/** Frames above this are refused with an error (the socket itself allows more, so it survives). */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;
/**
 * Room kept in a frame for what surrounds a call's answer or arguments
 * (`{"jsonrpc":"2.0","id":...,"result":...}`, an id of at most 128 characters):
 * a value within `host.result_limit` always fits in a frame the other end accepts.
 */
export const FRAME_ENVELOPE_BYTES = 64 * 1024;
/** The largest `host.result_limit` a guest config may set. */
export const MAX_RESULT_LIMIT = MAX_FRAME_BYTES - FRAME_ENVELOPE_BYTES;
/** `host.result_limit` when the config gives none: a page of a listing, far below a frame. */
export const DEFAULT_RESULT_LIMIT = 4 * 1024 * 1024;

/** JSON-RPC 2.0 error codes: the standard ones, and Berth's in the server range. */
export const RPC_ERRORS = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** data.code carries the catalogue code (BERTH_ERR_*). */
  BERTH_ERROR: -32000,
} as const;

/** A request id; a frame whose id is anything else is answered with id null (JSON-RPC 2.0, 5.1). */
export const requestId = z.union([z.string().min(1).max(128), z.number().int()]);
const id = requestId;

export const requestFrame = z.strictObject({ jsonrpc: z.literal('2.0'), id, method: z.string().min(1).max(128), params: z.unknown().optional() });
export const notificationFrame = z.strictObject({ jsonrpc: z.literal('2.0'), method: z.string().min(1).max(128), params: z.unknown().optional() });
/** A BerthError's details as they travel in an error's data (a few named strings and numbers). */
export const errorDetails = z.record(z.string().max(64), z.union([z.string().max(4096), z.number()]));
export const errorObject = z.strictObject({
  code: z.number().int(),
  message: z.string(),
  data: z.object({ code: z.string().optional() }).passthrough().optional(),
});
export const responseFrame = z.union([
  z.strictObject({ jsonrpc: z.literal('2.0'), id, result: z.unknown() }),
  z.strictObject({ jsonrpc: z.literal('2.0'), id: id.nullable(), error: errorObject }),
]);
export type RequestFrame = z.infer<typeof requestFrame>;
export type NotificationFrame = z.infer<typeof notificationFrame>;
export type ResponseFrame = z.infer<typeof responseFrame>;
export type RpcErrorObject = z.infer<typeof errorObject>;

/** Bounds of a write lease's duration: a timer can hold the longest (2^31-1 ms is Node's limit). */
export const LEASE_MIN_MS = 100;
export const LEASE_MAX_MS = 24 * 24 * 60 * 60 * 1000;
/** A lease token: the host process's random id and its monotonic time when it issued the token. */
const leaseToken = z.string().regex(/^[0-9a-f]{16}:\d{1,16}$/);

const operation = z.enum(ALL_OPERATIONS as [OperationName, ...OperationName[]]);
const serviceStatus = z.enum(['new', 'building', 'running', 'healthy', 'shutdown', 'crashed', 'failed', 'blocked', 'paused', 'restart-required', 'unknown']);

/**
 * Every method either side may send, with its params and result. Both ends
 * validate with these; anything else is METHOD_NOT_FOUND or INVALID_PARAMS.
 */
export const METHODS = {
  /** host -> server, the first request on every connection. */
  'guest.hello': {
    params: z.strictObject({
      instanceId: z.string().min(1),
      token: z.string().min(1),
      hostVersion: z.string(),
      manifest: z.unknown(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
    }),
    result: z.strictObject({ reportIntervalMs: z.number().int().positive().optional() }),
  },
  /** server -> host: run one contract operation; re-sent with the same id after a reconnect. */
  'guest.call': {
    params: z.strictObject({ operation, args: z.array(z.unknown()), deadlineMs: z.number().int().positive() }),
    // `ok` is absent for result<_, E>: JSON has no undefined
    result: z.union([z.strictObject({ err: z.unknown() }), z.strictObject({ ok: z.unknown().optional() })]),
  },
  /** server -> host: is the host itself alive (answered without the manager). */
  'guest.ping': { params: z.strictObject({}).optional(), result: z.strictObject({ pong: z.literal(true) }) },
  /**
   * server -> host: renew (or release) the write lease of a replication
   * source (host/write-lease.ts). `token` is the one the host's last answer
   * gave: the lease runs from when the host issued it, on the host's own
   * clock, so a renewal that took long to arrive extends nothing.
   */
  'guest.lease': {
    params: z.union([
      z.strictObject({ durationMs: z.number().int().min(LEASE_MIN_MS).max(LEASE_MAX_MS), token: leaseToken.optional() }),
      // no longer a source: the host forgets the lease; `restoreWrites` lifts the read-only it left (a standalone primary)
      z.strictObject({ release: z.literal(true), restoreWrites: z.boolean() }),
    ]),
    // held: the lease now runs (the token was this host's and not yet expired); readOnly: the lease holds the datastore read-only
    result: z.strictObject({ held: z.boolean(), readOnly: z.boolean(), token: leaseToken }),
  },
  /**
   * server -> host: does this replica's machine reach the source its latest
   * attach-replica named (the datastore's own first answer on a connection
   * the host opens, within timeoutMs, without the manager: source-probe.ts)? `source` is what it tried; absent when it knows none.
   */
  'guest.source-reachable': {
    params: z.strictObject({ timeoutMs: z.number().int().positive().max(60_000) }),
    result: z.strictObject({ reachable: z.boolean(), source: z.strictObject({ host: z.string().max(255), port: z.number().int().min(1).max(65535) }).optional() }),
  },
} as const;

/**
 * When a cast was sent: epoch milliseconds a Date can hold. Anything else is
 * refused: a cast dated past the end of time would be taken as the newest
 * forever and every later one dropped as out of order.
 */
const sentAt = z.number().int().min(0).max(8.64e15);

/** Casts (notifications): host -> server, in order by seq; the server drops out-of-order ones. */
export const CASTS = {
  'guest.heartbeat': z.strictObject({ seq: z.number().int().nonnegative(), sentAt, status: serviceStatus, detail: z.string().optional() }),
  'guest.event': z.strictObject({ seq: z.number().int().nonnegative(), sentAt, event: z.unknown() }),
} as const;

export type MethodName = keyof typeof METHODS;
export type CastName = keyof typeof CASTS;
export type MethodParams<M extends MethodName> = z.infer<(typeof METHODS)[M]['params']>;
export type MethodResult<M extends MethodName> = z.infer<(typeof METHODS)[M]['result']>;
export type CastParams<C extends CastName> = z.infer<(typeof CASTS)[C]>;
