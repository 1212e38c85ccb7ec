import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildFixture, call, instantiateBytes, type ExportedInterfaces } from '../../support/components.js';

let bytes: Uint8Array;
let root: string;
let rw: string;
let ro: string;
let outside: string;

beforeAll(async () => {
  bytes = (await buildFixture('capabilities', 'quickjs')).bytes;
});
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-files-'));
  [rw, ro, outside] = ['rw', 'ro', 'outside'].map((name) => join(root, name)) as [string, string, string];
  await Promise.all([mkdir(rw), mkdir(ro), mkdir(outside)]);
  await writeFile(join(ro, 'config.txt'), 'read me');
  await writeFile(join(outside, 'secret.txt'), 'never');
  await symlink(outside, join(rw, 'linkdir'));
  await symlink(join(outside, 'secret.txt'), join(rw, 'link.txt'));
  await symlink('../outside/secret.txt', join(rw, 'relative-link.txt'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function manager(): Promise<ExportedInterfaces> {
  return instantiateBytes(bytes, {
    directories: [
      { hostPath: rw, guestPath: '/data', access: 'read-write' },
      { hostPath: ro, guestPath: '/etc/datastore', access: 'read-only' },
    ],
  });
}

const read = (exports: ExportedInterfaces, path: string) => call(exports.guestLog!.guestLogRead, path, 0n, 1024) as { ok?: { data: Uint8Array }; err?: { tag: string } };

describe('the files capability (wasi:filesystem with per-instance preopens)', () => {
  it('reads a read-only grant but refuses to write in it, and says so to the operator', async () => {
    const denials: string[] = [];
    const exports = await instantiateBytes(bytes, {
      directories: [
        { hostPath: rw, guestPath: '/data', access: 'read-write' },
        { hostPath: ro, guestPath: '/etc/datastore', access: 'read-only' },
      ],
      onDenied: (capability, what) => denials.push(`${capability}: ${what}`),
    });
    expect(new TextDecoder().decode(read(exports, '/etc/datastore/config.txt').ok?.data)).toBe('read me');
    const write = call(exports.volume!.getFilesystemStats, '/etc/datastore') as { err?: { tag: string; val: string } };
    expect(write.err?.tag).toBe('denied');
    expect(write.err?.val).toContain('read-only');
    expect(await readdir(ro)).toEqual(['config.txt']);
    expect(denials).toEqual(['files: opening probe.txt for writing in a read-only directory grant']);
  });

  it('writes in a read-write grant', async () => {
    const exports = await manager();
    expect(call(exports.volume!.getFilesystemStats, '/data')).toHaveProperty('ok');
    expect((await readdir(rw)).sort()).toEqual(['link.txt', 'linkdir', 'probe.txt', 'relative-link.txt']);
  });

  it('reads files of every size whole, in one read or in 1 MiB steps', async () => {
    const exports = await manager();
    for (const size of [0, 5, 2 ** 20 - 1, 2 ** 20, 2 ** 20 + 1, 2.5 * 2 ** 20]) {
      const content = Buffer.alloc(size);
      for (let i = 0; i < size; i++) content[i] = (i * 31 + size) % 251;
      await writeFile(join(rw, `sized-${size}.bin`), content);
      const data = read(exports, `/data/sized-${size}.bin`).ok?.data;
      expect(data?.length).toBe(size);
      expect(Buffer.from(data!).equals(content)).toBe(true);
    }
  });

  it.each([
    ['.. out of a grant', () => '/data/../outside/secret.txt'],
    ['an absolute path outside every grant', () => join(outside, 'secret.txt')],
    ['a host path of a granted directory', () => join(ro, 'config.txt')],
    ['a symlink to a file outside', () => '/data/link.txt'],
    ['a relative symlink to a file outside', () => '/data/relative-link.txt'],
    ['a symlink to a directory outside', () => '/data/linkdir/secret.txt'],
  ])('never reads %s', async (_label, path) => {
    const exports = await manager();
    const outcome = read(exports, path());
    expect(outcome.ok).toBeUndefined();
    expect(['denied', 'not-found', 'failed']).toContain(outcome.err?.tag);
  });

  it('closes every file it opens: 2,000 reads, misses and writes leave no descriptor behind', async () => {
    const exports = await manager();
    await writeFile(join(rw, 'config.txt'), 'x'.repeat(5000));
    const openDescriptors = () => readdirSync('/proc/self/fd').length;
    // one of each first: whatever opens once and stays (the shim, a log) is not a leak
    read(exports, '/data/config.txt');
    call(exports.volume!.getFilesystemStats, '/data');
    const before = openDescriptors();
    for (let i = 0; i < 2000; i++) {
      if (i % 3 === 0) expect(read(exports, '/data/config.txt').ok?.data.length).toBe(5000);
      else if (i % 3 === 1) expect(read(exports, '/data/missing.txt').err?.tag).toBe('not-found');
      else expect(call(exports.volume!.getFilesystemStats, '/data')).toHaveProperty('ok');
    }
    expect(openDescriptors()).toBeLessThanOrEqual(before);
  });

  it('keeps read-only grants separate per instance', async () => {
    // a second instance granting the same directory read-write may write; the first still may not
    const first = await manager();
    const second = await instantiateBytes(bytes, { directories: [{ hostPath: ro, guestPath: '/etc/datastore', access: 'read-write' }] });
    expect(call(second.volume!.getFilesystemStats, '/etc/datastore')).toHaveProperty('ok');
    expect((call(first.volume!.getFilesystemStats, '/etc/datastore') as { err?: { tag: string } }).err?.tag).toBe('denied');
  });
});
