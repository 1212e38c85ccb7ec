import { z } from 'zod';
import type { ConfigurationValue } from '../store/store.js';

/** The contract's config-value (wit/types.wit): what a manager receives for one setting. */
export type ConfigValue = { tag: 'text'; val: string } | { tag: 'integer'; val: bigint } | { tag: 'float'; val: number } | { tag: 'boolean'; val: boolean };

/** The contract's config-override. */
export interface ConfigOverride {
  key: string;
  value: ConfigValue;
}

/** Setting names as datastores spell them (work_mem, maxmemory-policy, innodb.buffer_pool_size). */
const settingName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/, 'a setting name is a letter or "_", then letters, digits, "_", "." or "-" (at most 128)');
const settingValue = z.union([
  z.string().max(4096),
  // an integer travels as the contract's s64: beyond 2^53 a JSON number has already lost digits
  z.number().refine((n) => !Number.isInteger(n) || Number.isSafeInteger(n), 'an integer must be between -(2^53-1) and 2^53-1'),
  z.boolean(),
]);

/**
 * A group's values as the server checks them: shallowly, names and value
 * types only. Whether a setting exists and takes that value is the
 * manager's to say, when the values reach a guest.
 */
export const configurationValues = z
  .record(settingName, settingValue)
  .refine((values) => Object.keys(values).length <= 500, 'at most 500 settings in one group');

export type ConfigurationValues = Record<string, ConfigurationValue>;

function configValue(value: ConfigurationValue): ConfigValue {
  if (typeof value === 'string') return { tag: 'text', val: value };
  if (typeof value === 'boolean') return { tag: 'boolean', val: value };
  return Number.isInteger(value) ? { tag: 'integer', val: BigInt(value) } : { tag: 'float', val: value };
}

export function toOverrides(values: ConfigurationValues): ConfigOverride[] {
  return Object.entries(values).map(([key, value]) => ({ key, value: configValue(value) }));
}

/** What a guest must change to go from one group's values to another's. */
export interface OverrideChanges {
  /** Settings new or with another value. */
  set: ConfigOverride[];
  /** Settings to drop (with the value they had: the contract wants one). */
  remove: ConfigOverride[];
}

export function changesBetween(from: ConfigurationValues, to: ConfigurationValues): OverrideChanges {
  const set = Object.fromEntries(Object.entries(to).filter(([key, value]) => !Object.hasOwn(from, key) || from[key] !== value));
  const remove = Object.fromEntries(Object.entries(from).filter(([key]) => !Object.hasOwn(to, key)));
  return { set: toOverrides(set), remove: toOverrides(remove) };
}

export function isEmpty(changes: OverrideChanges): boolean {
  return changes.set.length === 0 && changes.remove.length === 0;
}
