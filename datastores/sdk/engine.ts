/**
 * The two JS engines lower WIT values differently: jco/StarlingMonkey use
 * `bigint` for u64/s64 and `undefined` for option none (what the generated
 * types say); componentize-qjs uses `number` and `null`. Authors write against
 * the generated types; this module converts at the component boundary so one
 * source behaves the same on both. `berth build` defines the engine.
 */
declare const __BERTH_ENGINE__: 'quickjs' | 'starlingmonkey' | undefined;

export const ENGINE: 'quickjs' | 'starlingmonkey' = typeof __BERTH_ENGINE__ === 'string' ? __BERTH_ENGINE__ : 'starlingmonkey';
const NUMBERS_AT_BOUNDARY = ENGINE === 'quickjs';

/** A 64-bit integer as the engine wants it passed to an import. */
export function wire64(value: bigint | number): bigint | number {
  if (NUMBERS_AT_BOUNDARY) return typeof value === 'bigint' ? toSafeNumber(value) : value;
  return typeof value === 'bigint' ? value : BigInt(value);
}

/** A 64-bit integer from either engine, as the generated types promise. */
export function big(value: bigint | number): bigint {
  return typeof value === 'bigint' ? value : BigInt(value);
}

function toSafeNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`${value} does not fit the QuickJS engine's 53-bit integers; build with --backend starlingmonkey`);
  }
  return Number(value);
}

/** option none arrives as null from QuickJS: make it undefined everywhere, as the types say. */
export function noneAsUndefined<T>(value: T): T {
  if (!NUMBERS_AT_BOUNDARY || value === null || typeof value !== 'object') return (value === null ? undefined : value) as T;
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(noneAsUndefined) as T;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) out[key] = field === null ? undefined : noneAsUndefined(field);
  return out as T;
}

/** Results going out: on QuickJS every bigint becomes a (checked) number. */
export function toWire<T>(value: T): T {
  if (!NUMBERS_AT_BOUNDARY) return value;
  if (typeof value === 'bigint') return toSafeNumber(value) as T;
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(toWire) as T;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) out[key] = toWire(field);
  return out as T;
}

type Fix = (args: unknown[]) => void;
const sizeOf = (holder: unknown, key: string) => {
  if (holder && typeof holder === 'object') {
    const record = holder as Record<string, unknown>;
    if (typeof record[key] === 'number') record[key] = BigInt(record[key]);
  }
};
const overrides: Fix = (args) => {
  for (const override of (args[0] as Array<{ value: { tag: string; val: unknown } }>) ?? []) {
    if (override.value.tag === 'integer' && typeof override.value.val === 'number') override.value.val = BigInt(override.value.val);
  }
};

/**
 * Where a 64-bit integer sits in each operation's arguments. A test calls
 * every one of these on both engines and checks the author sees a bigint.
 */
const ARGUMENT_INT64: Record<string, Fix> = {
  prepare: (args) => sizeOf((args[0] as { backup?: unknown }).backup, 'size'),
  'create-backup': (args) => sizeOf((args[0] as { parent?: unknown }).parent, 'size'),
  'restore-backup': (args) => sizeOf(args[0], 'size'),
  'attach-replica': (args) => sizeOf(args[0], 'datasetSize'),
  'update-overrides': overrides,
  'apply-overrides': overrides,
  'guest-log-read': (args) => {
    if (typeof args[1] === 'number') args[1] = BigInt(args[1]);
  },
};

/** Arguments coming in, made to match the generated types on either engine. */
export function fromWireArguments(operation: string, args: unknown[]): unknown[] {
  if (!NUMBERS_AT_BOUNDARY) return args;
  const normalised = args.map(noneAsUndefined);
  ARGUMENT_INT64[operation]?.(normalised);
  return normalised;
}
