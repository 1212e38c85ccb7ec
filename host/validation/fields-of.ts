/** A value the server sent, read field by field before anything trusts its shape. */
export type Fields = Record<string, unknown>;

/** The value's fields when it is an object, undefined otherwise (null, a string, a number...). */
export const fieldsOf = (value: unknown): Fields | undefined => (typeof value === 'object' && value !== null ? (value as Fields) : undefined);
