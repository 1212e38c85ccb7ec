import type { ParameterRule, ParameterType } from 'berth:datastore/manifest@0.2.0';

/**
 * Configuration parameter rules (Trove's validation-rules.json, per manager):
 * what a configuration group may set. The manager declares them in its
 * manifest; the server checks every group against them before any guest
 * call, and a manager may check its overrides with the same function.
 */

export type { ParameterRule, ParameterType };

interface Common {
  /** A change takes effect only after the datastore restarts (Trove's restart_required). */
  restartRequired?: boolean;
  description?: string;
}

const common = (name: string, type: ParameterType, options: Common) => ({
  name,
  type,
  min: undefined,
  max: undefined,
  allowedValues: [],
  restartRequired: options.restartRequired ?? false,
  description: options.description,
});

/** Builders for the rules a manager declares: `parameter.integer('max_connections', { min: 1, restartRequired: true })`. */
export const parameter = {
  integer(name: string, options: Common & { min?: number | bigint; max?: number | bigint } = {}): ParameterRule {
    const bound = (value: number | bigint | undefined) => (value === undefined ? undefined : { tag: 'integer' as const, val: BigInt(value) });
    return { ...common(name, 'integer', options), min: bound(options.min), max: bound(options.max) };
  },
  float(name: string, options: Common & { min?: number; max?: number } = {}): ParameterRule {
    const bound = (value: number | undefined) => (value === undefined ? undefined : { tag: 'float' as const, val: value });
    return { ...common(name, 'float', options), min: bound(options.min), max: bound(options.max) };
  },
  boolean(name: string, options: Common = {}): ParameterRule {
    return common(name, 'boolean', options);
  },
  /** A string; with `allowedValues`, one of them (compared without regard to case). */
  string(name: string, options: Common & { allowedValues?: readonly string[] } = {}): ParameterRule {
    return { ...common(name, 'string', options), allowedValues: [...(options.allowedValues ?? [])] };
  },
};

/** A rule as the manifest reads on either side: bounds as bigint (jco) or number (QuickJS, JSON). */
export interface RuleShape {
  name: string;
  type: ParameterType;
  min?: { val: number | bigint };
  max?: { val: number | bigint };
  allowedValues: readonly string[];
}

/** A configuration value as a group holds it (JSON) or a manager receives it (config-value's val). */
export type ParameterValue = string | number | bigint | boolean;

/** Parameter names are compared without regard to case, as Trove and the datastores do. */
export function findRule<R extends RuleShape>(rules: readonly R[], key: string): R | undefined {
  const wanted = key.toLowerCase();
  return rules.find((rule) => rule.name.toLowerCase() === wanted);
}

/** What a valid value of `rule` looks like, for a refusal: "an integer from 1 to 100000". */
export function describeRule(rule: RuleShape): string {
  const min = rule.min === undefined ? undefined : String(rule.min.val);
  const max = rule.max === undefined ? undefined : String(rule.max.val);
  const range = min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` of at least ${min}` : max !== undefined ? ` of at most ${max}` : '';
  switch (rule.type) {
    case 'integer':
      return `an integer${range}`;
    case 'float':
      return `a number${range}`;
    case 'boolean':
      return 'a boolean (true or false)';
    case 'string':
      return rule.allowedValues.length > 0 ? `one of ${rule.allowedValues.map((v) => JSON.stringify(v)).join(', ')}` : 'a string';
  }
}

function inRange(rule: RuleShape, value: number | bigint): boolean {
  if (rule.min !== undefined && value < rule.min.val) return false;
  if (rule.max !== undefined && value > rule.max.val) return false;
  return true;
}

/** Whether `value` is of the rule's type and within its bounds or allowed values. */
export function valueFits(rule: RuleShape, value: ParameterValue): boolean {
  switch (rule.type) {
    case 'integer':
      return (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) && inRange(rule, value);
    case 'float':
      return (typeof value === 'bigint' || (typeof value === 'number' && Number.isFinite(value))) && inRange(rule, value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string' && (rule.allowedValues.length === 0 || rule.allowedValues.some((allowed) => allowed.toLowerCase() === value.toLowerCase()));
  }
}

export type ParameterProblem = { key: string; problem: 'unknown' } | { key: string; problem: 'invalid'; expected: string };

/**
 * The first value of `values` the rules refuse: an unknown key, or a value of
 * the wrong type or out of range. Undefined when every value fits.
 */
export function checkParameters(rules: readonly RuleShape[], values: Readonly<Record<string, ParameterValue>>): ParameterProblem | undefined {
  for (const [key, value] of Object.entries(values)) {
    const rule = findRule(rules, key);
    if (!rule) return { key, problem: 'unknown' };
    if (!valueFits(rule, value)) return { key, problem: 'invalid', expected: describeRule(rule) };
  }
  return undefined;
}
