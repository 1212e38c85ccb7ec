import { CapabilityError, ManagerError, type RedisReply } from '../sdk/index.js';
import type { RedisContext } from './options.js';

/** The granted connection, as the manager's own ACL user `berth`. */
export const ADMIN_CONNECTION = 'admin';

/** The SDK turns an error reply into `failed` with this prefix; it is the only trace of the reply. */
const REPLY_PREFIX = 'Redis replied ';

/**
 * Redis's error text ("ERR unknown option", "LOADING ...") when `thrown` is an
 * error reply rather than a failure to ask, else undefined.
 */
export function errorReply(thrown: unknown): string | undefined {
  if (!(thrown instanceof ManagerError) || thrown.value.tag !== 'failed') return undefined;
  const detail = thrown.value.val.detail;
  return detail.startsWith(REPLY_PREFIX) ? detail.slice(REPLY_PREFIX.length) : undefined;
}

/** Replies of a server that is up but cannot serve yet: loading its data, or running a long script. */
export function isBusyReply(reply: string): boolean {
  return /^(LOADING|BUSY)\b/.test(reply);
}

/**
 * A failure of the host's client rather than an answer of the server. The
 * host keeps its client between calls and drops it after such a failure, so
 * the next call connects afresh. A client whose server went away answers
 * `unavailable`, or `failed` ("Stream isn't writeable") when the command
 * races the socket's close.
 */
export function isConnectionLost(thrown: unknown): boolean {
  return thrown instanceof CapabilityError && (thrown.value.tag === 'unavailable' || thrown.value.tag === 'failed');
}

/** One command; a stale client (redis-server restarted or died since the last call) costs one more try. */
export function command(ctx: RedisContext, ...args: Array<string | number | Uint8Array>): RedisReply {
  const connection = ctx.redis(ADMIN_CONNECTION);
  try {
    return connection.command(...args);
  } catch (thrown) {
    if (isConnectionLost(thrown)) return connection.command(...args);
    throw thrown;
  }
}

/** INFO <section> as key/value pairs ("redis_version" -> "7.0.15"). */
export function info(ctx: RedisContext, section: string): Map<string, string> {
  const text = String(command(ctx, 'INFO', section));
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

/** A flat [name, value, name, value...] reply (ACL GETUSER) as a map. */
export function pairs(reply: RedisReply): Map<string, RedisReply> {
  const out = new Map<string, RedisReply>();
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out.set(String(reply[i]), reply[i + 1] ?? null);
  return out;
}
