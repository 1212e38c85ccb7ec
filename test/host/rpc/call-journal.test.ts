import { mkdtemp, readdir, rm, stat, utimes } from 'node:fs/promises';
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

  it('stays within its bytes while the host runs, dropping the oldest records (regression: a thousand answers of any size were kept)', async () => {
    const journal = new CallJournal(dir, seal, 1000, 3500);
    for (const id of ['b1', 'b2', 'b3', 'b4']) {
      journal.started(id, 'list-databases');
      journal.finished(id, 'list-databases', { outcome: { ok: 'x'.repeat(1000) } });
    }
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(['b2.json', 'b3.json', 'b4.json']);
    expect(await bytesIn(dir)).toBeLessThanOrEqual(3500);
    await expect(journal.recall('b4')).resolves.toEqual({ ok: 'x'.repeat(1000) });
  });

  it('keeps only the newest records within its bytes at start', async () => {
    const earlier = new CallJournal(dir, seal, 1000, 100_000);
    for (const id of ['s1', 's2', 's3', 's4']) {
      earlier.started(id, 'list-databases');
      earlier.finished(id, 'list-databases', { outcome: { ok: 'x'.repeat(1000) } });
      // the age of a record is its file's time: one apart, whatever the file system's resolution
      await utimes(join(dir, `${id}.json`), new Date(), new Date(Date.now() - (10 - Number(id[1])) * 1000));
    }
    new CallJournal(dir, seal, 1000, 2500);
    expect((await readdir(dir)).sort()).toEqual(['s3.json', 's4.json']);
  });

  it('keeps the one record it just wrote even when alone past its bytes', async () => {
    const journal = new CallJournal(dir, seal, 1000, 500);
    journal.started('small', 'status');
    journal.started('big', 'list-databases');
    journal.finished('big', 'list-databases', { outcome: { ok: 'x'.repeat(1000) } });
    expect(await readdir(dir)).toEqual(['big.json']);
    await expect(journal.recall('big')).resolves.toEqual({ ok: 'x'.repeat(1000) });
  });
});

async function bytesIn(directory: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(directory)) total += (await stat(join(directory, name))).size;
  return total;
}
