import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import type WebSocket from 'ws';

/**
 * WebSocket frames that break RFC 6455 itself, written to the TCP socket
 * under a `ws` client or server, and the close code the receiving end must
 * answer with: 1002 protocol error, 1007 text that is not UTF-8, 1009 too big.
 */
export interface Violation {
  what: string;
  bytes: Buffer;
  closeCode: 1002 | 1007 | 1009;
}

interface FrameParts {
  fin?: boolean;
  rsv?: number;
  opcode: number;
  payload: Uint8Array;
  masked: boolean;
  /** Claim this length instead of the payload's (for a header that promises more than is sent). */
  claimedLength?: number;
}

export function rawFrame({ fin = true, rsv = 0, opcode, payload, masked, claimedLength }: FrameParts): Buffer {
  const length = claimedLength ?? payload.length;
  const head = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) head.push(maskBit | length);
  else if (length < 65536) head.push(maskBit | 126, length >> 8, length & 0xff);
  else {
    head.push(maskBit | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(length));
    head.push(...big);
  }
  const key = masked ? randomBytes(4) : Buffer.alloc(0);
  const body = Buffer.from(payload).map((byte, i) => (masked ? byte ^ key[i % 4]! : byte));
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** Text that is not UTF-8: a lone continuation byte, an overlong form, a surrogate, bytes past U+10FFFF. */
const invalidUtf8 = fc
  .tuple(fc.string({ maxLength: 20 }), fc.constantFrom([0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xff], [0xe2, 0x82]), fc.string({ maxLength: 20 }))
  .map(([before, bad, after]) => Buffer.concat([Buffer.from(before), Buffer.from(bad), Buffer.from(after)]));

/** Violations a peer of side `from` can commit ('client' frames must be masked, 'server' frames must not). */
export function violations(from: 'client' | 'server', maxPayload: number): fc.Arbitrary<Violation> {
  const masked = from === 'client';
  const payload = fc.uint8Array({ maxLength: 64 });
  return fc.oneof(
    invalidUtf8.map((bytes) => ({ what: 'text that is not UTF-8', bytes: rawFrame({ opcode: 1, payload: bytes, masked }), closeCode: 1007 as const })),
    fc.tuple(fc.constantFrom(3, 4, 5, 6, 7, 11, 12, 13, 14, 15), payload).map(([opcode, p]) => ({ what: `reserved opcode ${opcode}`, bytes: rawFrame({ opcode, payload: p, masked }), closeCode: 1002 as const })),
    fc.tuple(fc.integer({ min: 1, max: 7 }), payload).map(([rsv, p]) => ({ what: `RSV bits ${rsv} without an extension`, bytes: rawFrame({ rsv, opcode: 2, payload: p, masked }), closeCode: 1002 as const })),
    payload.map((p) => ({ what: masked ? 'an unmasked client frame' : 'a masked server frame', bytes: rawFrame({ opcode: 2, payload: p, masked: !masked }), closeCode: 1002 as const })),
    fc.uint8Array({ minLength: 126, maxLength: 300 }).map((p) => ({ what: 'a ping longer than 125 bytes', bytes: rawFrame({ opcode: 9, payload: p, masked }), closeCode: 1002 as const })),
    payload.map((p) => ({ what: 'a fragmented ping', bytes: rawFrame({ fin: false, opcode: 9, payload: p.slice(0, 100), masked }), closeCode: 1002 as const })),
    payload.map((p) => ({ what: 'a continuation with nothing to continue', bytes: rawFrame({ opcode: 0, payload: p, masked }), closeCode: 1002 as const })),
    fc.constantFrom(0, 999, 1004, 1005, 1006, 1015, 2999, 5000).map((code) => ({
      what: `a close frame with code ${code}`,
      bytes: rawFrame({ opcode: 8, payload: Uint8Array.of(code >> 8, code & 0xff), masked }),
      closeCode: 1002 as const,
    })),
    fc.integer({ min: maxPayload + 1, max: maxPayload * 4 }).map((length) => ({
      what: `a header claiming ${length} bytes`,
      bytes: rawFrame({ opcode: 1, payload: new Uint8Array(0), masked, claimedLength: length }),
      closeCode: 1009 as const,
    })),
  );
}

/** Writes bytes under a `ws` WebSocket, past its own framing. */
export function writeRaw(socket: WebSocket, bytes: Buffer): void {
  (socket as unknown as { _socket: Socket })._socket.write(bytes);
}
