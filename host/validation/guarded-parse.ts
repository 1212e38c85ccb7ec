import { z } from 'zod';

/**
 * zod's safeParse, for values a peer chose. zod 4 runs its length checks
 * (`min`, `max`, `length`) on any value with a `length` member, even after the
 * type check failed, and compares that member as a number: a JSON object such
 * as `{"length": {"toString": 0}}` where text belongs makes safeParse throw
 * ("Cannot convert object to primitive value") instead of failing. A value the
 * schema cannot check is a value the schema refuses; nothing thrown by a
 * validator reaches the caller.
 */
export function guardedSafeParse<S extends z.ZodType>(schema: S, value: unknown): z.ZodSafeParseResult<z.output<S>> {
  try {
    return schema.safeParse(value);
  } catch (error) {
    const issue: z.core.$ZodIssueCustom = {
      code: 'custom',
      path: [],
      input: undefined,
      message: `a value the schema cannot check (${error instanceof Error ? error.message : String(error)}): send JSON text, numbers, booleans, arrays and objects of the documented shape`,
    };
    return { success: false, error: new z.ZodError([issue]) } as z.ZodSafeParseResult<z.output<S>>;
  }
}
