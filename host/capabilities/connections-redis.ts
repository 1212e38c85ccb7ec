// the CommonJS exports object itself (default import), whose Decoder ioredis's DataHandler reads at each connect
import type { Readable } from 'node:stream';
import ioredisDecoder from 'ioredis/built/resp/decoder.js';
import { Command, Redis, type RedisOptions } from 'ioredis';
import type { ConnectionGrant } from '../config/guest-config.js';
import type { RedisNode } from '../generated/interfaces/berth-datastore-connections.js';
import { Classified, endpoint, messageOf, networkError, ownBytes, type RedisCommandSession } from './connections-session.js';
import { RedisSessionState } from './connections-session-state.js';

/**
 * Status ("simple string") replies versus bulk ones. ioredis 6 decodes both
 * to Buffer (like redis-parser with returnBuffers), so `callBuffer` alone
 * cannot tell `+OK` from `$2 OK`, and it decodes integers to JS numbers,
 * losing digits past 2^53. Its decoder reads its type mapping afresh for
 * every value, so a Decoder subclass installed here (this thread's own copy
 * of ioredis, used by nothing else) asks for simple strings and integers as
 * text and notes, in reply order, which was which; once the whole reply is
 * decoded it turns integers into bigint. Status replies then reach us as
 * strings, bulk ones as Buffers, integers as bigints. Should a future
 * ioredis move these internals, the patch is skipped and status replies
 * come back as `bulk`, integers as (possibly rounded) numbers.
 */
interface DecoderModule {
  Decoder?: new (config: DecoderConfig) => object;
  RESP_TYPES?: { SIMPLE_STRING?: number; NUMBER?: number };
}
interface DecoderConfig {
  getTypeMapping(): Record<number, unknown>;
  onReply(reply: unknown): void;
  onErrorReply(error: unknown): void;
  [key: string]: unknown;
}

function tagRedisStatusReplies(): boolean {
  // imported statically, so that a packed guest's bundle carries it; a layout that changed is caught below
  const decoder = ioredisDecoder as unknown as DecoderModule;
  const Base = decoder.Decoder;
  const simple = decoder.RESP_TYPES?.SIMPLE_STRING;
  const integer = decoder.RESP_TYPES?.NUMBER;
  if (typeof Base !== 'function' || simple !== 43 || integer !== 58) return false;
  class TaggingDecoder extends Base {
    constructor(config: DecoderConfig) {
      const kinds: Array<'simple' | 'integer'> = [];
      const mapping: Record<number, unknown> = { ...config.getTypeMapping() };
      Object.defineProperty(mapping, simple!, {
        enumerable: true,
        get: () => (kinds.push('simple'), String),
      });
      Object.defineProperty(mapping, integer!, {
        enumerable: true,
        get: () => (kinds.push('integer'), String),
      });
      const retag = (value: unknown): unknown => {
        if (typeof value === 'string') return kinds.shift() === 'integer' ? BigInt(value) : value;
        if (Array.isArray(value)) return value.map(retag);
        return value;
      };
      super({
        ...config,
        getTypeMapping: () => mapping,
        onReply: (reply: unknown) => {
          const tagged = retag(reply);
          kinds.length = 0;
          config.onReply(tagged);
        },
        onErrorReply: (error: unknown) => {
          kinds.length = 0;
          config.onErrorReply(error);
        },
      });
      // the base constructor copied the mapping once (for push replies): not a reply
      kinds.length = 0;
    }
  }
  decoder.Decoder = TaggingDecoder;
  return true;
}
tagRedisStatusReplies();

function redisNodes(reply: unknown, out: RedisNode[] = []): RedisNode[] {
  if (reply === null || reply === undefined) out.push({ tag: 'nil' });
  else if (typeof reply === 'bigint') out.push({ tag: 'integer', val: reply });
  else if (typeof reply === 'number') out.push({ tag: 'integer', val: BigInt(Math.trunc(reply)) });
  else if (typeof reply === 'string') out.push({ tag: 'simple', val: reply });
  else if (reply instanceof Uint8Array) out.push({ tag: 'bulk', val: ownBytes(reply) });
  else if (reply instanceof Error) out.push({ tag: 'error', val: reply.message });
  else if (Array.isArray(reply)) {
    out.push({ tag: 'array', val: reply.length });
    for (const item of reply) redisNodes(item, out);
  } else out.push({ tag: 'bulk', val: ownBytes(Buffer.from(String(reply))) });
  return out;
}

const isReplyError = (error: unknown): error is Error => error instanceof Error && error.name === 'ReplyError';

export class RedisSession implements RedisCommandSession {
  readonly kind = 'redis' as const;
  private readonly client: Redis;
  private ready: Promise<void> | undefined;
  private lastError: unknown;
  private closed = false;
  private readonly state = new RedisSessionState();
  /** AUTH and SELECT, sent by us rather than by ioredis, which only logs their failure and carries on (on database 0, or unauthenticated). */
  private readonly handshake: Uint8Array[][] = [];

  constructor(
    private readonly what: string,
    grant: ConnectionGrant,
    timeoutMs: number,
  ) {
    const { host, port, user, password, database } = endpoint(grant);
    const options: RedisOptions = {
      lazyConnect: true,
      // fail fast: no queue while disconnected, no retries, no reconnection (the next call opens a new client)
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      autoResubscribe: false,
      enableReadyCheck: false,
      connectTimeout: timeoutMs,
      // RESP2: the reply shapes redis-node describes (no maps, doubles, big numbers)
      protocol: 2,
    };
    if (grant.socket !== undefined) options.path = grant.socket;
    else {
      if (host !== undefined) options.host = host;
      if (port !== undefined) options.port = port;
    }
    if (grant.url !== undefined && new URL(grant.url).protocol === 'rediss:') options.tls = {};
    const word = (value: string) => Buffer.from(value);
    if (password !== undefined) this.handshake.push(user !== undefined ? [word('AUTH'), word(user), word(password)] : [word('AUTH'), word(password)]);
    if (database !== undefined && database !== '0') this.handshake.push([word('SELECT'), word(database)]);
    this.client = new Redis(options);
    this.client.on('error', (error: unknown) => {
      this.lastError = error;
    });
    // without reconnection (retryStrategy), a closed socket ends the client for good
    this.client.on('close', () => {
      this.closed = true;
    });
  }

  get lost(): boolean {
    return this.closed;
  }

  heldState(): string | undefined {
    return this.state.held();
  }

  connect(): Promise<void> {
    this.ready ??= this.open();
    return this.ready;
  }

  private async open(): Promise<void> {
    await this.client.connect();
    for (const args of this.handshake) {
      const [reply] = await this.send(args);
      if (reply?.tag === 'error') {
        const refused = new Error(reply.val);
        refused.name = 'ReplyError';
        throw refused;
      }
    }
  }

  private async send(args: Uint8Array[]): Promise<RedisNode[]> {
    const [name, ...rest] = args;
    // Upper case: ioredis keys its own per-command argument and reply rewriting by lower-case names; we want the wire as sent.
    const command = new Command(
      Buffer.from(name!).toString('latin1').replace(/[a-z]+/g, (s) => s.toUpperCase()),
      rest.map((arg) => Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength)),
      { replyEncoding: null },
    );
    command.transformReply = (reply) => reply;
    this.client.sendCommand(command);
    try {
      return redisNodes(await command.promise);
    } catch (error) {
      // An error reply is an answer, not a failure of the capability.
      if (isReplyError(error)) return [{ tag: 'error', val: error.message }];
      throw error;
    }
  }

  async command(args: Uint8Array[]): Promise<RedisNode[]> {
    await this.connect();
    const word = (arg: Uint8Array | undefined) => (arg === undefined ? undefined : Buffer.from(arg).toString('latin1').toLowerCase());
    const name = word(args[0]) ?? '';
    this.state.beforeSend(name, word(args[1]));
    const reply = await this.send(args);
    this.state.answered(name);
    return reply;
  }

  wire(): Readable | undefined {
    return this.client.stream;
  }

  classify(error: unknown): Classified {
    const cause = this.client.status === 'ready' ? error : (this.lastError ?? error);
    if (isReplyError(cause)) {
      // refused while connecting (AUTH, SELECT): the server's error, coded by its prefix (WRONGPASS, ERR)
      const message = cause.message;
      return new Classified({ tag: 'database', val: { code: message.split(' ')[0] ?? 'ERR', message } }, true);
    }
    const network = networkError(this.what, cause);
    if (network) return network;
    if (this.client.status !== 'ready') return new Classified({ tag: 'unavailable', val: `${this.what}: ${messageOf(cause)}` }, true);
    return new Classified({ tag: 'failed', val: `${this.what}: ${messageOf(error)}` }, true);
  }

  abandon(): void {
    this.client.disconnect();
  }

  close(): Promise<unknown> {
    if (this.client.status !== 'ready') {
      this.client.disconnect();
      return Promise.resolve();
    }
    return this.client.quit().catch(() => this.client.disconnect());
  }
}
