import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallJournal } from '../../../host/rpc/call-journal.js';
import { journalSeal } from '../../../host/rpc/journal-seal.js';

const seal = journalSeal('instance-token-0123456789', 'instance-1');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the call journal', () => {
  it('answers a finished call from its record and refuses one it was in the middle of as interrupted', async () => {
    const journal = new CallJournal(dir, seal);
    journal.started('a', 'create-databases');
    journal.finished('a', 'create-databases', { outcome: { ok: 1n } });
    journal.started('b', 'create-users');
    const restarted = new CallJournal(dir, seal);
    await expect(restarted.recall('a')).resolves.toEqual({ ok: 1n });
    await expect(restarted.recall('b')).rejects.toMatchObject({ code: 'BERTH_ERR_CALL_INTERRUPTED' });
    expect(restarted.recall('never-seen')).toBeUndefined();
  });

  it('stays bounded while the host runs, dropping the oldest records (regression: it was pruned at start only)', async () => {
    const journal = new CallJournal(dir, seal, 3);
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5']) {
      journal.started(id, 'status');
      journal.finished(id, 'status', { outcome: { ok: id } });
    }
    expect((await readdir(dir)).sort()).toEqual(['c3.json', 'c4.json', 'c5.json']);
    expect(journal.recall('c1')).toBeUndefined();
    await expect(journal.recall('c5')).resolves.toEqual({ ok: 'c5' });
  });
});
