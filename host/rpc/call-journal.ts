import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../server/errors/berth-error.js';
import { isErrorCode } from '../../server/errors/catalogue.js';
import type { JournalSeal } from './journal-seal.js';
import { encodeWire, reviveWire } from './wire-values.js';

type Recorded = { state: 'started'; operation: string } | { state: 'done'; operation: string; outcome: unknown } | { state: 'failed'; operation: string; error: { code: string; message: string } };

/**
 * The host's calls by request id, on disk, so that a host process that died
 * and came back still answers a re-sent request from its record: a finished
 * call with its answer, a call it was in the middle of with
 * BERTH_ERR_CALL_INTERRUPTED (its outcome is unknown, so running it again
 * could do it twice). In memory, RecentResults does the same for a host that
 * stayed up. Bounded: the oldest records go first, at start and while the
 * host runs (at most twice `limit` files: those of the last process and this one's).
 * Records are sealed (journal-seal.ts): one that does not open (tampered,
 * forged, moved from another id) answers BERTH_ERR_CALL_INTERRUPTED, never a run.
 */
export class CallJournal {
  /** Records this process started, oldest first: past `limit` the oldest is removed, so the directory stays bounded while the host runs. */
  private readonly written: string[] = [];

  constructor(
    private readonly directory: string,
    private readonly seal: JournalSeal,
    private readonly limit = 1000,
  ) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    this.prune();
  }

  private path(id: string | number): string {
    const text = String(id);
    // request ids are the server's task UUIDs; anything else is hashed into a safe file name
    return join(this.directory, `${/^[A-Za-z0-9_-]{1,128}$/.test(text) ? text : createHash('sha256').update(text).digest('hex')}.json`);
  }

  private write(id: string | number, record: Recorded): void {
    const path = this.path(id);
    // written whole then renamed: a crash leaves the old record or the new one, never half of one
    writeFileSync(`${path}.tmp`, this.seal.seal(String(id), encodeWire(record)), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }

  /** What an earlier host process recorded for this id, as the answer to give now (undefined: run it). */
  recall(id: string | number): Promise<unknown> | undefined {
    let sealed: Buffer;
    try {
      sealed = readFileSync(this.path(id));
    } catch {
      return undefined;
    }
    const text = this.seal.open(String(id), sealed);
    if (text === undefined) return Promise.reject(untrusted());
    let record: Recorded;
    try {
      record = JSON.parse(text, reviveWire) as Recorded;
    } catch {
      return Promise.reject(untrusted());
    }
    if (record.state === 'done') return Promise.resolve(record.outcome);
    if (record.state === 'failed') {
      const code = isErrorCode(record.error.code) ? record.error.code : 'BERTH_ERR_INTERNAL';
      return Promise.reject(new BerthError(code, record.error.message));
    }
    return Promise.reject(
      new BerthError(
        'BERTH_ERR_CALL_INTERRUPTED',
        `the guest host stopped while running ${record.operation}; whether it took effect is unknown, so it was not run again`,
        'check the datastore, then send the operation again if it is still needed',
      ),
    );
  }

  started(id: string | number, operation: string): void {
    this.write(id, { state: 'started', operation });
    // (it was pruned at start only: a host that ran for months kept a file for every call it ever ran)
    this.written.push(this.path(id));
    if (this.written.length > this.limit) rmSync(this.written.shift()!, { force: true });
  }

  finished(id: string | number, operation: string, result: { outcome: unknown } | { error: BerthError }): void {
    this.write(id, 'outcome' in result ? { state: 'done', operation, outcome: result.outcome } : { state: 'failed', operation, error: { code: result.error.code, message: result.error.message } });
  }

  private prune(): void {
    const files = readdirSync(this.directory).filter((name) => name.endsWith('.json'));
    if (files.length <= this.limit) return;
    const byAge = files.map((name) => ({ name, mtime: statSync(join(this.directory, name)).mtimeMs })).sort((a, b) => a.mtime - b.mtime);
    for (const { name } of byAge.slice(0, files.length - this.limit)) rmSync(join(this.directory, name), { force: true });
  }
}

/** A record this host cannot vouch for: the call may have run, so it is not run again. */
function untrusted(): BerthError {
  return new BerthError(
    'BERTH_ERR_CALL_INTERRUPTED',
    'the journal record of this call was altered or was not written by this host; whether the call took effect is unknown, so it was not run again',
    'check the datastore, then send the operation again if it is still needed',
  );
}
