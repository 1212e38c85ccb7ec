/**
 * How many bytes a value takes on the guest channel (UTF-8 of encodeWire's
 * JSON), counted without encoding it, and given up on as soon as it passes
 * `limit`: a hostile manager's 500 MB answer costs the check one comparison,
 * not an encoding of 500 MB. Exact for what encodeWire writes (WIT values:
 * records, lists, strings, numbers, bigint, Uint8Array); anything more exotic
 * is counted at least as large as it encodes. Iterative, so a value nested a
 * million deep costs memory for the walk, not the stack.
 *
 * Answers a number above `limit` (not the full size) when the value is over it.
 */
export function wireSize(value: unknown, limit: number): number {
  let total = 0;
  const pending: unknown[] = [];
  const root = prepared(value, '');
  if (root === OMITTED) return 0;
  pending.push(root);
  while (pending.length > 0) {
    if (total > limit) return total;
    const item = pending.pop();
    if (item === null) total += 4;
    else if (typeof item === 'boolean') total += item ? 4 : 5;
    else if (typeof item === 'number') total += Number.isFinite(item) ? String(item).length : 4;
    else if (typeof item === 'string') total += item.length > limit - total ? item.length : stringSize(item);
    // `{"$bigint":"<digits>"}`
    else if (typeof item === 'bigint') total += 14 + item.toString().length;
    // `{"$bytes":"<base64>"}`
    else if (item instanceof Uint8Array) total += 13 + 4 * Math.ceil(item.byteLength / 3);
    else if (Array.isArray(item)) {
      // at least a byte an element: one over the budget is refused before it is walked
      if (item.length > limit - total) return total + item.length;
      total += 2 + Math.max(0, item.length - 1);
      for (let i = item.length - 1; i >= 0; i--) {
        const element = prepared(item[i], String(i));
        pending.push(element === OMITTED ? null : element);
      }
    } else if (typeof item === 'object') {
      // typed arrays other than Uint8Array encode as {"0":...}: at least 5 bytes an element
      if (ArrayBuffer.isView(item) && 'length' in item && (item.length as number) > limit - total) return total + (item.length as number);
      const record = item as Record<string, unknown>;
      let members = 0;
      for (const key of Object.keys(record)) {
        const field = prepared(record[key], key);
        if (field === OMITTED) continue;
        members++;
        total += stringSize(key) + 1;
        pending.push(field);
        if (total > limit) return total;
      }
      total += 2 + Math.max(0, members - 1);
    }
  }
  return total;
}

const OMITTED = Symbol('omitted');

/** What JSON.stringify encodes for `value` under `key`: toJSON applied; undefined, functions and symbols omitted. */
function prepared(value: unknown, key: string): unknown {
  let field = value;
  if (typeof field === 'object' && field !== null && typeof (field as { toJSON?: unknown }).toJSON === 'function') {
    field = (field as { toJSON(key: string): unknown }).toJSON(key);
  }
  if (field === undefined || typeof field === 'function' || typeof field === 'symbol') return OMITTED;
  // boxed primitives encode as their value
  if (field instanceof Number || field instanceof String || field instanceof Boolean || field instanceof BigInt) return field.valueOf();
  return field;
}

/** Characters JSON.stringify escapes (controls, `"`, `\`) or that are not one UTF-8 byte. */
const NOT_PLAIN = /[\u0000-\u001f"\\\u0080-\uffff]/;

/** Bytes of a string as a JSON string literal, quotes included. */
export function stringSize(text: string): number {
  // the common case, plain ASCII, without a loop in JavaScript
  if (!NOT_PLAIN.test(text)) return text.length + 2;
  let bytes = 2;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0x22 || unit === 0x5c || unit === 0x08 || unit === 0x09 || unit === 0x0a || unit === 0x0c || unit === 0x0d) bytes += 2;
    else if (unit < 0x20) bytes += 6;
    else if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xdfff) {
      bytes += 4;
      i++;
    }
    // a lone surrogate is written as \udXXX
    else if (unit >= 0xd800 && unit <= 0xdfff) bytes += 6;
    else bytes += 3;
  }
  return bytes;
}
