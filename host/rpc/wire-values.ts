/**
 * WIT values carry bigint (u64/s64) and Uint8Array (list<u8>), which JSON
 * cannot. On the wire they are {"$bigint": "123"} and {"$bytes": "<base64>"}.
 */
export function encodeWire(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) => {
    if (typeof field === 'bigint') return { $bigint: field.toString() };
    if (field instanceof Uint8Array) return { $bytes: Buffer.from(field.buffer, field.byteOffset, field.byteLength).toString('base64') };
    return field;
  });
}

/**
 * WIT integers are at most 64 bits: 20 decimal digits. A longer "$bigint" is
 * not a wire value and stays the object it is (converting millions of digits
 * would hold the event loop for seconds: one frame must not stall a peer).
 */
const WIRE_BIGINT = /^-?\d{1,20}$/;

export function reviveWire(_key: string, field: unknown): unknown {
  if (field && typeof field === 'object' && !Array.isArray(field)) {
    const keys = Object.keys(field);
    if (keys.length === 1) {
      const record = field as Record<string, unknown>;
      if (typeof record.$bigint === 'string' && WIRE_BIGINT.test(record.$bigint)) return BigInt(record.$bigint);
      if (typeof record.$bytes === 'string') return new Uint8Array(Buffer.from(record.$bytes, 'base64'));
    }
  }
  return field;
}
