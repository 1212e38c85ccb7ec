import { createHash } from 'node:crypto';

/** Berth's namespace for name-based UUIDs (RFC 9562 version 5): a fixed random UUID, never to change. */
const NAMESPACE = Buffer.from('5f0d2c7e9a4b4e8c8d3a6b1e2f7c9a10', 'hex');

/**
 * Trove names datastores and their versions by UUID, and its clients look
 * versions up by id alone (GET /datastores/versions/{id}). Berth's registry
 * has names only; a name-based UUID gives each the same id on every server
 * and every start, with no table to keep.
 */
export function nameUuid(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const datastoreId = (datastore: string): string => nameUuid(`datastore:${datastore}`);
export const datastoreVersionId = (datastore: string, version: string): string => nameUuid(`datastore-version:${datastore}:${version}`);
