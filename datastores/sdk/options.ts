import { z } from 'zod';
import { ManagerError } from './errors.js';

/** Guest options as a manager declares them: a zod object of option keys. */
export type OptionsSchema = z.ZodObject;

const TEXT_TYPES = new Set(['string', 'enum', 'literal', 'template_literal']);
const WRAPPER_TYPES = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

interface ZodDefLike {
  type: string;
  innerType?: { def: ZodDefLike };
  in?: { def: ZodDefLike };
  defaultValue?: unknown;
}

function defOf(schema: z.ZodType): ZodDefLike {
  return schema.def as unknown as ZodDefLike;
}

/** The schema under defaults, optionals and pipes: what type the value has. */
function coreDef(def: ZodDefLike): ZodDefLike {
  let current = def;
  for (;;) {
    if (WRAPPER_TYPES.has(current.type) && current.innerType) current = current.innerType.def;
    else if (current.type === 'pipe' && current.in) current = current.in.def;
    else return current;
  }
}

/**
 * wasi:config/store holds strings. The host writes text options as they are
 * and every other value (numbers, booleans, lists) as JSON, so the schema
 * decides how to read each key back.
 */
function decodeValue(field: z.ZodType, raw: string): unknown {
  if (TEXT_TYPES.has(coreDef(defOf(field)).type)) return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw; // let the schema report the type mismatch with the key's name
  }
}

/** The inverse of decodeValue: how a default appears in the config store. */
export function encodeOptionValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Parse the config store's entries into the manager's typed options. */
export function parseOptions<S extends OptionsSchema>(schema: S, entries: ReadonlyArray<[string, string]>): z.infer<S> {
  const shape = schema.shape as Record<string, z.ZodType>;
  const input: Record<string, unknown> = {};
  for (const [key, raw] of entries) {
    const field = shape[key];
    input[key] = field ? decodeValue(field, raw) : raw;
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue?.path.map(String).join('.') || '(options)';
  const missing = issue?.code === 'invalid_type' && input[issue.path[0] as string] === undefined;
  const message = missing
    ? `guest option "${key}" is required; set it in the [options] table of the guest config`
    : `guest option "${key}": ${issue?.message ?? 'invalid'}; fix its value in the [options] table of the guest config`;
  throw ManagerError.invalidArgument(key, message);
}

export interface OptionDescription {
  key: string;
  required: boolean;
  defaultValue: string | undefined;
}

/** What `describe()` reports about each option: key, whether required, default. */
export function describeOptions(schema: OptionsSchema | undefined): OptionDescription[] {
  if (!schema) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([key, field]) => {
    const def = defOf(field);
    const hasDefault = def.type === 'default' || def.type === 'prefault';
    return {
      key,
      required: !hasDefault && !field.safeParse(undefined).success,
      defaultValue: hasDefault ? encodeOptionValue(def.defaultValue) : undefined,
    };
  });
}
