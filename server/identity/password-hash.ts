import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * A password as the config stores it: `scrypt$N$r$p$<salt>$<hash>`, salt and
 * hash in base64url, N a power of two. Never the password itself.
 */
export const PASSWORD_HASH_PATTERN = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{32,})$/;

/** Cost of new hashes: N=2^15, r=8, p=1 (about 32 MiB and a few tens of ms per check). */
const DEFAULT_COST = { N: 2 ** 15, r: 8, p: 1 };
const MAX_N = 2 ** 20;
const SALT_BYTES = 16;
const HASH_BYTES = 32;

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** Why a stored hash cannot be used, or undefined when it can (the config's check). */
export function passwordHashProblem(stored: string): string | undefined {
  const parsed = parse(stored);
  return typeof parsed === 'string' ? parsed : undefined;
}

function parse(stored: string): ParsedHash | string {
  const match = PASSWORD_HASH_PATTERN.exec(stored);
  if (!match) return 'must be scrypt$N$r$p$salt$hash, as `berth hash-password` prints it';
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (N < 2 || N > MAX_N || (N & (N - 1)) !== 0) return `N must be a power of two from 2 to ${MAX_N}`;
  if (r < 1 || p < 1 || r * p >= 2 ** 30) return 'r and p must be positive';
  return { N, r, p, salt: Buffer.from(match[4]!, 'base64url'), hash: Buffer.from(match[5]!, 'base64url') };
}

function derive(password: string, salt: Buffer, length: number, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; Node's default ceiling (32 MiB) would refuse the larger costs a config may give
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key))));
}

/** A fresh salt, then the hash in the stored form. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, HASH_BYTES, DEFAULT_COST);
  return ['scrypt', DEFAULT_COST.N, DEFAULT_COST.r, DEFAULT_COST.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Whether `password` is the one `stored` was made from; compared in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (typeof parsed === 'string') return false;
  const candidate = await derive(password, parsed.salt, parsed.hash.length, parsed);
  return timingSafeEqual(candidate, parsed.hash);
}

/**
 * A hash to check passwords of unknown users against, so that an unknown
 * user name takes as long to refuse as a wrong password.
 */
export const DECOY_HASH = `scrypt$${DEFAULT_COST.N}$${DEFAULT_COST.r}$${DEFAULT_COST.p}$${'A'.repeat(22)}$${'A'.repeat(43)}`;
