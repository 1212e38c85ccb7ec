import { z } from 'zod';

/**
 * A bound as jco lifts it (s64 as bigint) or as JSON carries it (number),
 * kept as a number: the values it bounds are JSON numbers, so a bound beyond
 * 2^53 could not be compared exactly; a manager leaves such a bound out.
 */
const bound = z
  .object({ tag: z.enum(['integer', 'float']), val: z.union([z.bigint(), z.number()]) })
  .refine((b) => b.tag === 'float' || Number.isSafeInteger(Number(b.val)), 'an integer bound must be between -(2^53-1) and 2^53-1: leave a larger one out')
  .refine((b) => Number.isFinite(Number(b.val)), 'a bound must be finite')
  .transform((b) => ({ tag: b.tag, val: Number(b.val) }));

export const parameterRuleSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/, 'a parameter name is a setting name (letters, digits, "_", "." or "-")'),
    type: z.enum(['integer', 'string', 'boolean', 'float']),
    min: bound.optional(),
    max: bound.optional(),
    allowedValues: z.array(z.string()),
    restartRequired: z.boolean(),
    description: z.string().optional(),
  })
  .superRefine((rule, ctx) => {
    const numeric = rule.type === 'integer' || rule.type === 'float';
    for (const side of ['min', 'max'] as const) {
      const value = rule[side];
      if (value === undefined) continue;
      if (!numeric) ctx.addIssue({ code: 'custom', path: [side], message: `a ${rule.type} parameter has no ${side}` });
      else if (rule.type === 'integer' && value.tag !== 'integer') ctx.addIssue({ code: 'custom', path: [side], message: 'an integer parameter has integer bounds' });
    }
    if (rule.min !== undefined && rule.max !== undefined && rule.min.val > rule.max.val) ctx.addIssue({ code: 'custom', path: ['max'], message: 'max is below min' });
    if (rule.allowedValues.length > 0 && rule.type !== 'string') ctx.addIssue({ code: 'custom', path: ['allowedValues'], message: 'only a string parameter has allowed values' });
  });

export type ParameterRuleManifest = z.infer<typeof parameterRuleSchema>;

/** Rules of one manifest: names unique without regard to case, as they are looked up. */
export const parameterRulesSchema = z.array(parameterRuleSchema).superRefine((rules, ctx) => {
  const seen = new Set<string>();
  rules.forEach((rule, index) => {
    const name = rule.name.toLowerCase();
    if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `parameter ${rule.name} is declared twice` });
    seen.add(name);
  });
});
