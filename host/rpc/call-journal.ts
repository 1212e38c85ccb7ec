import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { isErrorCode } from '../../datastores/errors/catalogue.js';
import type { JournalSeal } from './journal-seal.js';
import { encodeWire, reviveWire } from './wire-values.js';
import { replaceStateFile } from '../state-file.js';

type Recorded = { state: 'started'; operation: string } | { state: 'done'; operation: string; outcome: unknown } | { state: 'failed'; operation: string; error: { code: string; message: string } };

/**
 * The host's calls by request id, on disk, so that a host process that died
 * and came back still answers a re-sent request from its record: a finished
 * call with its answer, a call it was in the middle of with
 * BERTH_ERR_CALL_INTERRUPTED (its outcome is unknown, so running it again
 * could do it twice). In memory, RecentResults does the same for a host that
 * stayed up. Bounded in count and in bytes: the oldest records go first, at
 * start and while the host runs (at most twice `limit` files and twice
 * `byteLimit` bytes: those of the last process and this one's).
 * Records are sealed (journal-seal.ts): one that does not open (tampered,
 * forged, moved from another id) answers BERTH_ERR_CALL_INTERRUPTED, never a run.
 */
export class CallJournal {
  /**
   * Records this process started, oldest first, with their size on disk: past `limit` records or
   * `byteLimit` bytes the oldest is removed, so the directory stays bounded while the host runs.
   */
  private readonly written = new Map<string, number>();
  private writtenBytes = 0;

  constructor(
    private readonly directory: string,
    private readonly seal: JournalSeal,
    private readonly limit = 1000,
    /** Answers are up to host.result_limit each: a thousand of them would be gigabytes. */
    private readonly byteLimit = 64 * 1024 * 1024,
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
    const sealed = this.seal.seal(String(id), encodeWire(record));
    replaceStateFile(path, sealed);
    this.account(path, sealed.length);
  }

  /** Count the record's new size; past either bound, remove the oldest records (never the one just written). */
  private account(path: string, bytes: number): void {
    // a finished record replaces its started one in place: its age is when the call started
    this.writtenBytes += bytes - (this.written.get(path) ?? 0);
    this.written.set(path, bytes);
    for (const [oldest, size] of this.written) {
      if (this.written.size <= this.limit && this.writtenBytes <= this.byteLimit) return;
      if (oldest === path) return;
      rmSync(oldest, { force: true });
      this.written.delete(oldest);
      this.writtenBytes -= size;
    }
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
    // (it was pruned at start only: a host that ran for months kept a file for every call it ever ran)
    this.write(id, { state: 'started', operation });
  }

  finished(id: string | number, operation: string, result: { outcome: unknown } | { error: BerthError }): void {
    this.write(id, 'outcome' in result ? { state: 'done', operation, outcome: result.outcome } : { state: 'failed', operation, error: { code: result.error.code, message: result.error.message } });
  }

  /** At start: keep the newest records of the last process within both bounds. */
  private prune(): void {
    const files = readdirSync(this.directory)
      .filter((name) => name.endsWith('.json'))
      .map((name) => ({ name, ...sizeAndAge(join(this.directory, name)) }))
      .sort((a, b) => b.mtime - a.mtime);
    let kept = 0;
    let bytes = 0;
    let full = false;
    for (const { name, size } of files) {
      // once one does not fit, every older one goes too: the oldest go first
      full ||= kept >= this.limit || bytes + size > this.byteLimit;
      if (full) rmSync(join(this.directory, name), { force: true });
      kept++;
      bytes += size;
    }
  }
}

function sizeAndAge(path: string): { size: number; mtime: number } {
  try {
    const stats = statSync(path);
    return { size: stats.size, mtime: stats.mtimeMs };
  } catch {
    // gone meanwhile (another process pruning): nothing to keep or remove
    return { size: 0, mtime: 0 };
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
