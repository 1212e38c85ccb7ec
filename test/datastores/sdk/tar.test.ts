import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture, call, instantiateBytes } from '../../support/components.js';

// An outside author's manager imports the tar helpers from the SDK's index (not
// from sdk/tar.ts): built with the real toolchain, it packs a directory in its
// sandbox, and the system tar and the SDK's own reader agree on the archive.
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-tar-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the SDK tar helpers (tarHeader, tarPadding, tarEnd, TarReader from datastores/sdk/index.ts)', () => {
  it('write an archive the system tar lists, and read it back whole', async () => {
    const { bytes } = await buildFixture('tar-archive', 'quickjs');
    const data = join(root, 'data');
    await mkdir(join(data, 'src', 'sub', 'deeper'), { recursive: true });
    const big = Buffer.alloc(70_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
    const files: Record<string, Buffer> = {
      'a.txt': Buffer.from('hello, tar\n'),
      'empty.txt': Buffer.alloc(0),
      'sub/block.bin': Buffer.alloc(512, 7),
      'sub/deeper/big.bin': big,
    };
    for (const [path, content] of Object.entries(files)) await writeFile(join(data, 'src', path), content);

    const exports = await instantiateBytes(bytes, { directories: [{ hostPath: data, guestPath: '/data', access: 'read-write' }] });
    const outcome = call(exports.volume!.getFilesystemStats, '/data') as { ok?: { totalBlocks: bigint; used: bigint; total: bigint } };
    expect(outcome.ok).toBeDefined();

    const archive = join(data, 'archive.tar');
    const listed = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(listed).toEqual(['a.txt', 'empty.txt', 'sub/', 'sub/block.bin', 'sub/deeper/', 'sub/deeper/big.bin']);
    expect(BigInt((await readFile(archive)).length)).toBe(outcome.ok!.total);

    const extracted = join(root, 'extracted');
    await mkdir(extracted);
    execFileSync('tar', ['-xf', archive, '-C', extracted]);
    for (const [path, content] of Object.entries(files)) {
      expect((await readFile(join(extracted, path))).equals(content)).toBe(true);
      expect((await readFile(join(data, 'out', path))).equals(content)).toBe(true);
    }
    expect(outcome.ok!.totalBlocks).toBe(6n);
    expect(outcome.ok!.used).toBe(BigInt(Object.values(files).reduce((sum, content) => sum + content.length, 0)));
  });
});
