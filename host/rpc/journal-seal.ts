import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Seals call-journal records so that what runs as the instance's OS user
 * (the datastore, on a manager's word, or on a database user's who took it
 * over) can neither read earlier answers nor forge or swap records: the
 * journal lives in state_dir, which that user owns. AES-256-GCM with a key
 * derived from the instance token, which that user cannot read (the guest
 * config is root's, mode 0600); the request id is the additional data, so a
 * record copied under another id does not open.
 * Deleting a record cannot be prevented: the host then runs a re-sent call
 * again, as it would after losing its state directory.
 */
export interface JournalSeal {
  seal(id: string, plaintext: string): Buffer;
  /** The plaintext, or undefined for anything not sealed by this key for this id. */
  open(id: string, sealed: Buffer): string | undefined;
}

const MAGIC = Buffer.from('BJ1\n');
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function journalSeal(token: string, instanceId: string): JournalSeal {
  const key = Buffer.from(hkdfSync('sha256', token, instanceId, 'berth call journal v1', 32));
  return {
    seal(id, plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(id));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]);
    },
    open(id, sealed) {
      if (sealed.length < MAGIC.length + IV_BYTES + TAG_BYTES || !sealed.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
      const iv = sealed.subarray(MAGIC.length, MAGIC.length + IV_BYTES);
      const tag = sealed.subarray(MAGIC.length + IV_BYTES, MAGIC.length + IV_BYTES + TAG_BYTES);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(id)).setAuthTag(tag);
        return Buffer.concat([decipher.update(sealed.subarray(MAGIC.length + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        return undefined;
      }
    },
  };
}
