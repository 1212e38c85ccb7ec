import { ManagerError } from './errors.js';
import { describeRule, findRule, valueFits, type RuleShape } from './parameters.js';

type Override = { key: string; value: { tag: string; val: string | number | bigint | boolean } };

/**
 * A manager's own check of the overrides it is handed, against the rules its
 * manifest declares: the server refuses the same before calling, so this
 * catches calls that did not come through a checked configuration group. The
 * first key that is unknown, or whose value does not fit, is invalid-argument
 * naming it. `normalise` maps a key as the datastore reads it (MySQL's
 * dashes) before the lookup; names compare without regard to case.
 */
export function checkOverrides(rules: readonly RuleShape[], overrides: readonly Override[], datastore: string, normalise: (key: string) => string = (key) => key): void {
  for (const { key, value } of overrides) {
    const rule = findRule(rules, normalise(key));
    if (!rule) throw ManagerError.invalidArgument(key, `${key} is not one of the configuration parameters the ${datastore} manager accepts`);
    if (!valueFits(rule, value.val)) throw ManagerError.invalidArgument(key, `${key} takes ${describeRule(rule)}`);
  }
}
