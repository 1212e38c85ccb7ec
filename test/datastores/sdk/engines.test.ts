import { beforeAll, describe, expect, it } from 'vitest';
import { buildFixture, call, instantiateBytes, type ExportedInterfaces } from '../../support/components.js';
import { OPERATION_ARGUMENTS } from '../../support/operation-arguments.js';

const restore = { id: 'b1', format: 'tar', metadata: [], size: 12n, checksum: 'c' };

/**
 * QuickJS lowers u64/s64 to numbers and option none to null; StarlingMonkey
 * to bigint and undefined. Authors write against the generated types, so the
 * SDK must give them bigint and undefined on both.
 */
describe.each(['quickjs', 'starlingmonkey'] as const)('values an author sees on %s', (backend) => {
  let exports: ExportedInterfaces;
  beforeAll(async () => {
    exports = await instantiateBytes((await buildFixture('wire-types', backend)).bytes);
  });
  const detail = (outcome: unknown) => (outcome as { err: { val: { detail: string } } }).err.val.detail;

  it('64-bit integers in arguments arrive as bigint', () => {
    const prepare = { ...(OPERATION_ARGUMENTS.prepare[0] as object), backup: restore };
    expect(detail(call(exports.lifecycle!.prepare, prepare))).toBe('bigint,undefined,undefined');
    expect(detail(call(exports.backup!.createBackup, { id: 'b2', strategy: undefined, parent: restore }))).toBe('bigint,undefined');
    expect(detail(call(exports.backup!.restoreBackup, restore))).toBe('bigint');
    expect(detail(call(exports.replication!.attachReplica, ...OPERATION_ARGUMENTS['attach-replica']))).toBe('bigint');
    const overrides = [
      { key: 'a', value: { tag: 'integer', val: 7n } },
      { key: 'b', value: { tag: 'float', val: 0.5 } },
    ];
    expect(detail(call(exports.configuration!.updateOverrides, overrides, false))).toBe('bigint,number');
    expect(detail(call(exports.configuration!.applyOverrides, overrides))).toBe('bigint,number');
  });

  it('reads the real wall clock (jco hybrid bindings once gave Date.now() === 0)', () => {
    const { ok } = call(exports.replication!.getLatestTxnId) as { ok: string };
    expect(Math.abs(Number(ok) - Date.now())).toBeLessThan(60_000);
  });

  it('option none arrives as undefined, some as its value', () => {
    expect(detail(call(exports.databases!.listDatabases, { limit: undefined, marker: undefined, includeMarker: false }))).toBe('undefined,undefined');
    expect(detail(call(exports.databases!.listDatabases, { limit: 5, marker: 'm', includeMarker: true }))).toBe('number,string');
  });

  it('a u64 argument can be computed with and bigint results reach the host intact', () => {
    const chunk = call(exports.guestLog!.guestLogRead, 'end', 41n, 3) as { ok: { data: Uint8Array; nextOffset: bigint; eof: boolean } };
    expect(chunk.ok.nextOffset).toBe(42n);
    expect(chunk.ok.data).toHaveLength(3);
    expect(chunk.ok.eof).toBe(true);
    expect(call(exports.volume!.getFilesystemStats, '/')).toEqual({
      ok: { blockSize: 4096n, totalBlocks: 10n, freeBlocks: 4n, total: 40960n, free: 16384n, used: 24576n },
    });
  });
});
