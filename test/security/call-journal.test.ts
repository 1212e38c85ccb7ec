import { mkdtemp, readFile, readdir, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallJournal } from '../../host/rpc/call-journal.js';
import { journalSeal } from '../../host/rpc/journal-seal.js';
import { encodeWire } from '../../host/rpc/wire-values.js';

// The call journal lives in state_dir, which the instance's OS user owns, and so does the
// datastore a hostile manager configures. Unsealed, that user read earlier answers (a root
// password) and could forge a record that makes the host answer a call it never ran, or swap
// records between ids. Each attack below is what a process of that user can do to the files.

const TOKEN = 'instance-token-0123456789';
const INSTANCE = 'instance-1';
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-journal-attack-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function journalWithRootAnswer(): CallJournal {
  const journal = new CallJournal(dir, journalSeal(TOKEN, INSTANCE));
  journal.started('enable-root-1', 'enable-root');
  journal.finished('enable-root-1', 'enable-root', { outcome: { ok: { name: 'root', password: 'the-secret-root-password' } } });
  journal.started('create-users-1', 'create-users');
  journal.finished('create-users-1', 'create-users', { outcome: { ok: null } });
  return journal;
}

describe('the call journal against the instance user', () => {
  it('keeps earlier answers unreadable on disk', async () => {
    journalWithRootAnswer();
    for (const name of await readdir(dir)) {
      const bytes = await readFile(join(dir, name));
      expect(bytes.toString('latin1')).not.toContain('the-secret-root-password');
      expect(bytes.toString('latin1')).not.toContain('enable-root');
    }
  });

  it('answers a forged plaintext record as interrupted and does not run the call', async () => {
    journalWithRootAnswer();
    await writeFile(join(dir, 'forged-1.json'), encodeWire({ state: 'done', operation: 'create-users', outcome: { ok: null } }));
    const restarted = new CallJournal(dir, journalSeal(TOKEN, INSTANCE));
    await expect(restarted.recall('forged-1')).rejects.toMatchObject({ code: 'BERTH_ERR_CALL_INTERRUPTED' });
  });

  it('does not open a record copied under another request id', async () => {
    journalWithRootAnswer();
    await copyFile(join(dir, 'enable-root-1.json'), join(dir, 'create-users-1.json'));
    const restarted = new CallJournal(dir, journalSeal(TOKEN, INSTANCE));
    await expect(restarted.recall('create-users-1')).rejects.toMatchObject({ code: 'BERTH_ERR_CALL_INTERRUPTED' });
    await expect(restarted.recall('enable-root-1')).resolves.toEqual({ ok: { name: 'root', password: 'the-secret-root-password' } });
  });

  it('answers a record with a flipped byte as interrupted', async () => {
    journalWithRootAnswer();
    const path = join(dir, 'enable-root-1.json');
    const bytes = await readFile(path);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 3) ^ 0x01, bytes.length - 3);
    await writeFile(path, bytes);
    await expect(new CallJournal(dir, journalSeal(TOKEN, INSTANCE)).recall('enable-root-1')).rejects.toMatchObject({ code: 'BERTH_ERR_CALL_INTERRUPTED' });
  });

  it('opens nothing under another instance token (records of one instance are not another host\'s answers)', async () => {
    journalWithRootAnswer();
    const other = new CallJournal(dir, journalSeal('another-token-0123456789', INSTANCE));
    await expect(other.recall('enable-root-1')).rejects.toMatchObject({ code: 'BERTH_ERR_CALL_INTERRUPTED' });
  });
});
