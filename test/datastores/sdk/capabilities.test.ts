import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildFixture, call, instantiateBytes } from '../../support/components.js';
import type { ManagerLogEntry } from '../../../host/capabilities/logging.js';

let granted: string;
let outside: string;

beforeEach(async () => {
  granted = await mkdtemp(join(tmpdir(), 'berth-granted-'));
  outside = await mkdtemp(join(tmpdir(), 'berth-outside-'));
  await writeFile(join(outside, 'secret.txt'), 'not for managers');
});
afterEach(async () => {
  await rm(granted, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe.each(['quickjs', 'starlingmonkey'] as const)('SDK capability wrappers over the host imports (%s)', (backend) => {
  let bytes: Uint8Array;
  beforeAll(async () => {
    bytes = (await buildFixture('capabilities', backend)).bytes;
  });

  it('reads and writes files in a granted directory by guest path, and logs with the operation as context', async () => {
    const logs: ManagerLogEntry[] = [];
    const exports = await instantiateBytes(bytes, { directories: [{ hostPath: granted, guestPath: '/var/lib/probe' }], log: (e) => logs.push(e) });
    const outcome = call(exports.volume!.getFilesystemStats, '/var/lib/probe') as { ok: { blockSize: bigint; totalBlocks: bigint } };
    expect(outcome.ok.blockSize).toBe(BigInt('written by the manager ✓'.length));
    expect(outcome.ok.totalBlocks).toBe(1n);
    expect(await readFile(join(granted, 'probe.txt'), 'utf8')).toBe('written by the manager ✓');
    expect(logs).toContainEqual({ level: 'info', context: 'get-filesystem-stats', message: 'probing /var/lib/probe' });
  });

  it.each([
    ['a path outside every grant', () => join(outside, 'secret.txt'), 'denied'],
    ['a .. path out of the grant', () => '/var/lib/probe/../../../' + join(outside, 'secret.txt'), 'denied'],
    ['a symlink inside the grant pointing outside', () => '/var/lib/probe/link.txt', 'not-denied-or-found'],
  ])('refuses %s', async (_label, path, expected) => {
    await symlink(join(outside, 'secret.txt'), join(granted, 'link.txt'));
    const exports = await instantiateBytes(bytes, { directories: [{ hostPath: granted, guestPath: '/var/lib/probe' }] });
    const outcome = call(exports.guestLog!.guestLogRead, path(), 0n, 1024) as { err?: { tag: string }; ok?: unknown };
    expect(outcome.ok, 'the file outside must never be read').toBeUndefined();
    if (expected === 'denied') expect(outcome.err?.tag).toBe('denied');
    else expect(['denied', 'not-found', 'failed']).toContain(outcome.err?.tag);
  });

  it('turns a denied program, SQL or Redis connection into a denied manager-error', async () => {
    const exports = await instantiateBytes(bytes);
    expect(call(exports.lifecycle!.restart)).toMatchObject({ err: { tag: 'denied', val: expect.stringContaining('/bin/true') } });
    expect(call(exports.root!.isRootEnabled)).toMatchObject({ err: { tag: 'denied', val: expect.stringContaining('admin') } });
    expect(call(exports.root!.disableRoot)).toMatchObject({ err: { tag: 'denied', val: expect.stringContaining('cache') } });
  });
});
