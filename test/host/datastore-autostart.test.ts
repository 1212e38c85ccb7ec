import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DatastoreAutostart } from '../../host/datastore-autostart.js';
import type { OperationName } from '../../datastores/sdk/operations.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const log = pino({ level: 'silent' });
const ALL: OperationName[] = ['status', 'start-db-with-conf-changes'];

function autostart(): { record: DatastoreAutostart; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-autostart-'));
  dirs.push(dir);
  return { record: new DatastoreAutostart(join(dir, 'state')), dir };
}

/** A manager whose datastore answers `statuses` in turn and whose starts fail `failures` times. */
function manager(statuses: string[], failures = 0) {
  const calls: string[] = [];
  const call = async (operation: OperationName) => {
    calls.push(operation);
    if (operation === 'status') return { ok: statuses.shift() ?? 'running' };
    return failures-- > 0 ? { err: { tag: 'failed', val: { operation, detail: 'still letting go' } } } : { ok: undefined };
  };
  return { call, calls };
}

describe('the datastore autostart record', () => {
  it('follows what the operator last asked: prepare and start mean running, stop-db with disable-autostart means stopped', () => {
    const { record, dir } = autostart();
    expect(record.wanted()).toBeUndefined();
    record.record('prepare', [{}], { ok: undefined });
    expect(record.wanted()).toBe('running');
    record.record('stop-db', [false], { ok: undefined });
    expect(record.wanted()).toBe('running');
    record.record('stop-db', [true], { ok: undefined });
    expect(record.wanted()).toBe('stopped');
    record.record('restart', [], { err: { tag: 'failed' } });
    expect(record.wanted()).toBe('stopped');
    record.record('start-db-with-conf-changes', [''], { ok: undefined });
    expect(readFileSync(join(dir, 'state', 'datastore-wanted'), 'utf8')).toBe('running\n');
  });

  it('starts a datastore that should run and is down, trying again while the old one lets go', async () => {
    const { record } = autostart();
    record.record('prepare', [{}], { ok: undefined });
    const { call, calls } = manager(['crashed', 'crashed'], 1);
    expect(await record.bringBack(ALL, call, log, [1])).toBe('started');
    expect(calls).toEqual(['status', 'start-db-with-conf-changes', 'status', 'start-db-with-conf-changes']);
  });

  it('gives up after its retries, and leaves alone one that runs or was stopped on purpose', async () => {
    const { record } = autostart();
    record.record('prepare', [{}], { ok: undefined });
    expect(await record.bringBack(ALL, manager(['shutdown', 'shutdown'], 5).call, log, [1])).toBe('start failed');
    const running = manager(['running']);
    expect(await record.bringBack(ALL, running.call, log)).toMatch(/left as it is/);
    expect(running.calls).toEqual(['status']);
    record.record('stop-db', [true], { ok: undefined });
    const stopped = manager(['shutdown']);
    expect(await record.bringBack(ALL, stopped.call, log)).toMatch(/stopped on purpose/);
    expect(stopped.calls).toEqual([]);
  });
});
