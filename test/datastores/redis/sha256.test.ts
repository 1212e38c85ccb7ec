import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../datastores/redis/sha256.js';

describe('sha256Hex (the hashes users.acl and ACL SETUSER carry)', () => {
  it("matches node's SHA-256 across the block and padding boundaries", () => {
    for (let length = 0; length <= 200; length++) {
      const message = Uint8Array.from({ length }, (_, i) => (i * 31 + length) & 0xff);
      expect(sha256Hex(message), `length ${length}`).toBe(createHash('sha256').update(message).digest('hex'));
    }
  });

  it('hashes the known vectors', () => {
    expect(sha256Hex(new Uint8Array())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
