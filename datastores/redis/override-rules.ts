import type { ConfigValue } from 'berth:datastore/types@0.2.0';
import { ManagerError } from '../sdk/errors.js';
import { parameter, type ParameterRule } from '../sdk/parameters.js';

type ValueRule =
  | { kind: 'integer'; min: number; max?: number }
  | { kind: 'boolean' }
  | { kind: 'memory' }
  | { kind: 'choice'; values: readonly string[] }
  | { kind: 'format'; pattern: RegExp; example: string };

export interface SettingRule {
  value: ValueRule;
  /** CONFIG SET takes it on a running server; otherwise it waits for a restart. */
  live: boolean;
}

const integer = (min: number, max?: number, live = true): SettingRule => ({ value: { kind: 'integer', min, max }, live });
const boolean = (live = true): SettingRule => ({ value: { kind: 'boolean' }, live });
const memory: SettingRule = { value: { kind: 'memory' }, live: true };
const choice = (...values: string[]): SettingRule => ({ value: { kind: 'choice', values }, live: true });

const MEMORY = /^\d+(b|k|kb|m|mb|g|gb)?$/i;
const BUFFER_LIMIT = String.raw`(normal|replica|slave|pubsub) \d+(b|k|kb|m|mb|g|gb)? \d+(b|k|kb|m|mb|g|gb)? \d+`;

/**
 * The settings a configuration group or config-contents may carry (Trove
 * keeps the same kind of list per datastore, validation-rules.json). Anything
 * else is refused: the manager owns ports, paths, users and daemonizing, and
 * a key like `dir`, `include` or `loadmodule` in the wrong hands writes files
 * or runs code. Liveness was checked against redis-server 7.0 with CONFIG SET.
 */
export const SETTING_RULES: Readonly<Record<string, SettingRule>> = {
  maxmemory: memory,
  'maxmemory-policy': choice('volatile-lru', 'allkeys-lru', 'volatile-lfu', 'allkeys-lfu', 'volatile-random', 'allkeys-random', 'volatile-ttl', 'noeviction'),
  'maxmemory-samples': integer(1, 64),
  'maxmemory-eviction-tenacity': integer(0, 100),
  maxclients: integer(1, 1_000_000),
  timeout: integer(0),
  'tcp-keepalive': integer(0),
  'tcp-backlog': integer(0, 65535, false),
  databases: integer(1, 10_000, false),
  'io-threads': integer(1, 128, false),
  loglevel: choice('debug', 'verbose', 'notice', 'warning'),
  save: { value: { kind: 'format', pattern: /^(\d+ \d+( \d+ \d+)*)?$/, example: '"3600 1 300 100" (seconds and changes, in pairs), or "" for none' }, live: true },
  'stop-writes-on-bgsave-error': boolean(),
  rdbcompression: boolean(),
  rdbchecksum: boolean(false),
  appendonly: boolean(),
  appendfsync: choice('always', 'everysec', 'no'),
  'no-appendfsync-on-rewrite': boolean(),
  'auto-aof-rewrite-percentage': integer(0),
  'auto-aof-rewrite-min-size': memory,
  'aof-load-truncated': boolean(),
  'aof-use-rdb-preamble': boolean(),
  'busy-reply-threshold': integer(0),
  'lua-time-limit': integer(0),
  'slowlog-log-slower-than': integer(-1),
  'slowlog-max-len': integer(0),
  'latency-monitor-threshold': integer(0),
  'notify-keyspace-events': { value: { kind: 'format', pattern: /^[KEg$lshzxetmdnA]*$/, example: 'event classes such as "KEA" or "Ex"' }, live: true },
  'hash-max-listpack-entries': integer(0),
  'hash-max-listpack-value': integer(0),
  'hash-max-ziplist-entries': integer(0),
  'hash-max-ziplist-value': integer(0),
  'list-max-listpack-size': integer(-5),
  'list-max-ziplist-size': integer(-5),
  'list-compress-depth': integer(0),
  'set-max-intset-entries': integer(0),
  'zset-max-listpack-entries': integer(0),
  'zset-max-listpack-value': integer(0),
  'zset-max-ziplist-entries': integer(0),
  'zset-max-ziplist-value': integer(0),
  'hll-sparse-max-bytes': integer(0),
  'stream-node-max-bytes': memory,
  'stream-node-max-entries': integer(0),
  activerehashing: boolean(),
  hz: integer(1, 500),
  'dynamic-hz': boolean(),
  'lazyfree-lazy-eviction': boolean(),
  'lazyfree-lazy-expire': boolean(),
  'lazyfree-lazy-server-del': boolean(),
  'lazyfree-lazy-user-del': boolean(),
  'lazyfree-lazy-user-flush': boolean(),
  'lfu-log-factor': integer(0),
  'lfu-decay-time': integer(0),
  'client-output-buffer-limit': {
    value: { kind: 'format', pattern: new RegExp(`^${BUFFER_LIMIT}( ${BUFFER_LIMIT})*$`, 'i'), example: '"normal 0 0 0 pubsub 32mb 8mb 60"' },
    live: true,
  },
  'client-query-buffer-limit': memory,
  'proto-max-bulk-len': memory,
};

/**
 * SETTING_RULES as the manifest's parameter rules, for the server to check
 * groups against and Trove clients to list (Trove's types: sizes are
 * integers of bytes, min 0, as Trove's redis validation-rules.json has them;
 * the "64mb" text form stays for config-contents). A choice is a string with
 * its allowed values; a format is a string the manager checks itself.
 */
function asParameter(name: string, rule: SettingRule): ParameterRule {
  const common = { restartRequired: !rule.live };
  switch (rule.value.kind) {
    case 'integer':
      return parameter.integer(name, { ...common, min: rule.value.min, max: rule.value.max });
    case 'memory':
      return parameter.integer(name, { ...common, min: 0 });
    case 'boolean':
      return parameter.boolean(name, common);
    case 'choice':
      return parameter.string(name, { ...common, allowedValues: rule.value.values });
    case 'format':
      return parameter.string(name, { ...common, description: rule.value.example });
  }
}

export const PARAMETERS: readonly ParameterRule[] = Object.entries(SETTING_RULES).map(([name, rule]) => asParameter(name, rule));

/** A key as Redis reads it: case does not matter. */
export function settingKey(key: string): string {
  return key.trim().toLowerCase();
}

export function ruleFor(key: string): SettingRule | undefined {
  const normal = settingKey(key);
  return Object.hasOwn(SETTING_RULES, normal) ? SETTING_RULES[normal] : undefined;
}

function describe(rule: ValueRule): string {
  switch (rule.kind) {
    case 'integer':
      return rule.max === undefined ? `an integer of at least ${rule.min}` : `an integer from ${rule.min} to ${rule.max}`;
    case 'boolean':
      return 'a boolean (or "yes"/"no")';
    case 'memory':
      return 'a size in bytes, or text such as "64mb"';
    case 'choice':
      return `one of ${rule.values.join(', ')}`;
    case 'format':
      return rule.example;
  }
}

/** The value as Redis text, or undefined when the rule refuses it. */
function normalise(rule: ValueRule, value: ConfigValue): string | undefined {
  const text = value.tag === 'text' ? value.val.trim().replace(/\s+/g, ' ') : undefined;
  switch (rule.kind) {
    case 'integer': {
      const number = value.tag === 'integer' ? BigInt(value.val) : text !== undefined && /^-?\d+$/.test(text) ? BigInt(text) : undefined;
      if (number === undefined || number < BigInt(rule.min) || (rule.max !== undefined && number > BigInt(rule.max))) return undefined;
      return number.toString();
    }
    case 'boolean':
      if (value.tag === 'boolean') return value.val ? 'yes' : 'no';
      return text !== undefined && /^(yes|no)$/i.test(text) ? text.toLowerCase() : undefined;
    case 'memory':
      if (value.tag === 'integer') return BigInt(value.val) >= 0n ? BigInt(value.val).toString() : undefined;
      return text !== undefined && MEMORY.test(text) ? text.toLowerCase() : undefined;
    case 'choice':
      return text !== undefined && rule.values.includes(text.toLowerCase()) ? text.toLowerCase() : undefined;
    case 'format':
      return text !== undefined && rule.pattern.test(text) ? text : undefined;
  }
}

export interface Setting {
  /** Lower case. */
  key: string;
  /** As Redis reads it (CONFIG SET's argument, or the quoted value of a config line). */
  value: string;
}

/** A checked setting; an unknown key or a bad value is `invalid-argument` naming `field`. */
export function checkSetting(field: string, key: string, value: ConfigValue): Setting {
  const rule = ruleFor(key);
  if (!rule) {
    throw ManagerError.invalidArgument(field, `"${key}" is not a setting the Redis manager accepts (it owns ports, paths, users and modules)`);
  }
  const normal = normalise(rule.value, value);
  if (normal === undefined) throw ManagerError.invalidArgument(field, `"${key}" must be ${describe(rule.value)}`);
  return { key: settingKey(key), value: normal };
}
