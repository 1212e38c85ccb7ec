import { spawn } from 'node:child_process';
import { link, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFiles } from '../../../host/capabilities/files.js';
import type { Descriptor } from '../../../host/generated/interfaces/wasi-filesystem-types.js';

/**
 * wasi:filesystem as the host implements it, called the way a manager that
 * uses the raw interface (not the SDK, which refuses ".." before asking)
 * would: every escape a path can try, every change a read-only grant must
 * refuse, and the operations themselves.
 */
let root: string;
let rw: string;
let ro: string;
let outside: string;
let denials: string[];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-fsd-'));
  [rw, ro, outside] = ['rw', 'ro', 'outside'].map((name) => join(root, name)) as [string, string, string];
  await Promise.all([mkdir(rw), mkdir(ro), mkdir(outside)]);
  await writeFile(join(outside, 'secret.txt'), 'never');
  await writeFile(join(ro, 'config.txt'), 'read me');
  await mkdir(join(rw, 'sub'));
  await writeFile(join(rw, 'sub', 'inner.txt'), 'inner');
  await symlink(join(outside, 'secret.txt'), join(rw, 'absolute-link.txt'));
  await symlink('../outside/secret.txt', join(rw, 'climbing-link.txt'));
  await symlink(outside, join(rw, 'outside-dir'));
  await symlink('sub/inner.txt', join(rw, 'inside-link.txt'));
  await symlink('loop-b', join(rw, 'loop-a'));
  await symlink('loop-a', join(rw, 'loop-b'));
  denials = [];
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function grants() {
  const files = createFiles(
    [
      { hostPath: rw, guestPath: '/data', access: 'read-write' },
      { hostPath: ro, guestPath: '/etc/datastore', access: 'read-only' },
    ],
    (capability, what) => denials.push(`${capability}: ${what}`),
  );
  const [[data], [etc]] = files.preopens.getDirectories() as [[Descriptor, string], [Descriptor, string]];
  return { files, data, etc };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const readAll = (dir: Descriptor, path: string, follow = true) => {
  const file = dir.openAt({ symlinkFollow: follow }, path, {}, { read: true });
  return text(file.read(1024n, 0n)[0]);
};
/** The wasi error code a call throws (a string), or 'ok'. */
const codeOf = (action: () => unknown): unknown => {
  try {
    action();
    return 'ok';
  } catch (thrown) {
    return thrown;
  }
};

describe('wasi:filesystem on the manager thread', () => {
  it('reads, writes, lists and stats inside a read-write grant', async () => {
    const { data } = grants();
    const file = data.openAt({}, 'new.txt', { create: true }, { read: true, write: true });
    expect(file.write(new TextEncoder().encode('hello world'), 0n)).toBe(11n);
    expect(text(file.read(5n, 6n)[0])).toBe('world');
    expect(file.read(5n, 11n)).toEqual([new Uint8Array(0), true]);
    file.setSize(5n);
    expect(file.stat()).toMatchObject({ type: 'regular-file', size: 5n, linkCount: 1n });
    expect(await readFile(join(rw, 'new.txt'), 'utf8')).toBe('hello');
    data.createDirectoryAt('made');
    data.renameAt('new.txt', data, 'made/moved.txt');
    expect(readAll(data, 'made/moved.txt')).toBe('hello');
    expect(readAll(data, 'inside-link.txt')).toBe('inner');
    const listing: string[] = [];
    const entries = data.readDirectory();
    for (let entry = entries.readDirectoryEntry(); entry; entry = entries.readDirectoryEntry()) listing.push(`${entry.name}:${entry.type}`);
    expect(listing.sort()).toEqual(
      ['absolute-link.txt:symbolic-link', 'climbing-link.txt:symbolic-link', 'inside-link.txt:symbolic-link', 'loop-a:symbolic-link', 'loop-b:symbolic-link', 'made:directory', 'outside-dir:symbolic-link', 'sub:directory'],
    );
    expect(data.statAt({}, 'sub').type).toBe('directory');
    expect(data.statAt({}, 'inside-link.txt').type).toBe('symbolic-link');
    expect(data.statAt({ symlinkFollow: true }, 'inside-link.txt')).toMatchObject({ type: 'regular-file', size: 5n });
    expect(data.readlinkAt('climbing-link.txt')).toBe('../outside/secret.txt');
    data.symlinkAt('sub/inner.txt', 'made/link');
    expect(await readlink(join(rw, 'made', 'link'))).toBe('sub/inner.txt');
    data.unlinkFileAt('made/link');
    data.unlinkFileAt('made/moved.txt');
    data.removeDirectoryAt('made');
    expect(await readdir(rw)).not.toContain('made');
    const sub = data.openAt({}, 'sub', { directory: true }, { read: true });
    expect(sub.isSameObject(data.openAt({}, 'sub', { directory: true }, { read: true }))).toBe(true);
    expect(sub.isSameObject(data)).toBe(false);
    expect(data.metadataHashAt({}, 'sub')).toEqual(sub.metadataHash());
    expect(codeOf(() => data.statAt({}, 'missing'))).toBe('no-entry');
    expect(codeOf(() => data.openAt({}, 'sub/inner.txt', { create: true, exclusive: true }, { write: true }))).toBe('exist');
    expect(codeOf(() => data.removeDirectoryAt('sub'))).toBe('not-empty');
  });

  it.each([
    ['.. out of the grant', '../outside/secret.txt', 'not-permitted'],
    ['.. out after going down', 'sub/../../outside/secret.txt', 'not-permitted'],
    ['.. below a missing directory', 'missing/../../outside/secret.txt', 'no-entry'],
    ['an absolute path', '/etc/passwd', 'not-permitted'],
    ['a symlink with an absolute target', 'absolute-link.txt', 'not-permitted'],
    ['a symlink whose target climbs out', 'climbing-link.txt', 'not-permitted'],
    ['a path through a symlink to a directory outside', 'outside-dir/secret.txt', 'not-permitted'],
    ['a symlink loop', 'loop-a', 'loop'],
  ])('never opens %s', (_label, path, code) => {
    const { data } = grants();
    expect(codeOf(() => readAll(data, path))).toBe(code);
    expect(codeOf(() => data.statAt({ symlinkFollow: true }, path))).toBe(code);
  });

  it('does not follow a final symlink unless asked, and never lets a directory descriptor climb above itself', () => {
    const { data } = grants();
    expect(codeOf(() => readAll(data, 'inside-link.txt', false))).toBe('loop');
    const sub = data.openAt({}, 'sub', { directory: true }, { read: true });
    expect(readAll(sub, 'inner.txt')).toBe('inner');
    expect(codeOf(() => readAll(sub, '../inside-link.txt'))).toBe('not-permitted');
    expect(codeOf(() => sub.statAt({}, '..'))).toBe('not-permitted');
  });

  it('refuses symlinks that point out of the grant', async () => {
    const { data } = grants();
    expect(codeOf(() => data.symlinkAt('/etc/passwd', 'passwd'))).toBe('not-permitted');
    expect(codeOf(() => data.symlinkAt('../outside/secret.txt', 'escape'))).toBe('not-permitted');
    expect(codeOf(() => data.symlinkAt('../../outside', 'sub/escape'))).toBe('not-permitted');
    expect(await readdir(rw)).not.toContain('passwd');
  });

  it('refuses every change in a read-only grant, tells the operator, and changes nothing', async () => {
    const { data, etc } = grants();
    await link(join(ro, 'config.txt'), join(ro, 'hard.txt'));
    const config = etc.openAt({}, 'config.txt', {}, { read: true });
    const refused = {
      'open for writing': () => etc.openAt({}, 'config.txt', {}, { write: true }),
      create: () => etc.openAt({}, 'new.txt', { create: true }, { read: true }),
      truncate: () => etc.openAt({}, 'config.txt', { truncate: true }, { read: true }),
      write: () => config.write(new Uint8Array([1]), 0n),
      setSize: () => config.setSize(0n),
      setTimes: () => config.setTimes({ tag: 'now' }, { tag: 'now' }),
      writeViaStream: () => config.writeViaStream(0n),
      appendViaStream: () => config.appendViaStream(),
      createDirectoryAt: () => etc.createDirectoryAt('dir'),
      setTimesAt: () => etc.setTimesAt({}, 'config.txt', { tag: 'now' }, { tag: 'now' }),
      unlinkFileAt: () => etc.unlinkFileAt('hard.txt'),
      removeDirectoryAt: () => etc.removeDirectoryAt('.'),
      symlinkAt: () => etc.symlinkAt('config.txt', 'link'),
      'renameAt out of it': () => etc.renameAt('config.txt', data, 'stolen.txt'),
      'renameAt into it': () => data.renameAt('sub/inner.txt', etc, 'planted.txt'),
      'linkAt out of it': () => etc.linkAt({}, 'config.txt', data, 'linked.txt'),
    };
    const before = await stat(join(ro, 'config.txt'));
    for (const [label, action] of Object.entries(refused)) expect([label, codeOf(action)]).toEqual([label, 'read-only']);
    expect(denials).toHaveLength(Object.keys(refused).length);
    expect(denials[0]).toBe('files: opening config.txt for writing in a read-only directory grant');
    expect((await readdir(ro)).sort()).toEqual(['config.txt', 'hard.txt']);
    expect(await readFile(join(ro, 'config.txt'), 'utf8')).toBe('read me');
    expect((await stat(join(ro, 'config.txt'))).mtimeMs).toBe(before.mtimeMs);
    expect(await readdir(rw)).not.toContain('stolen.txt');
    expect(text(config.read(100n, 0n)[0])).toBe('read me');
  });

  it('reads and writes through streams', async () => {
    const { data } = grants();
    const file = data.openAt({}, 'streamed.txt', { create: true }, { read: true, write: true });
    const out = file.writeViaStream(0n);
    out.blockingWriteAndFlush(new TextEncoder().encode('through a stream'));
    (out as unknown as Record<symbol, () => void>)[(Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose')]?.();
    expect(await readFile(join(rw, 'streamed.txt'), 'utf8')).toBe('through a stream');
    const input = file.readViaStream(8n);
    expect(text(input.blockingRead(100n))).toBe('a stream');
    expect(codeOf(() => data.readViaStream(0n))).toBe('bad-descriptor');
  });

  it('never opens a file outside while another process swaps a directory for a symlink to it', async () => {
    // the walk sees a directory, the open finds the symlink: only the check of what was opened stops this
    await mkdir(join(rw, 'real'));
    await writeFile(join(rw, 'real', 'secret.txt'), 'inside');
    await symlink(outside, join(rw, 'swap-link'));
    const swapper = spawn(process.execPath, [
      '-e',
      `const fs = require('node:fs'); const d = process.argv[1];
       for (const end = Date.now() + 1500; Date.now() < end;) {
         try { fs.renameSync(d + '/real', d + '/flip'); fs.renameSync(d + '/flip', d + '/real'); } catch {}
         try { fs.renameSync(d + '/swap-link', d + '/flip'); fs.renameSync(d + '/flip', d + '/swap-link'); } catch {}
       }`,
      rw,
    ]);
    const exited = new Promise((resolve) => swapper.once('exit', resolve));
    const { data } = grants();
    const seen = new Map<string, number>();
    const started = Date.now();
    while (swapper.exitCode === null && Date.now() - started < 5000) {
      for (let i = 0; i < 200; i++) {
        const outcome = (() => {
          try {
            return readAll(data, 'flip/secret.txt');
          } catch (code) {
            return String(code);
          }
        })();
        seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await exited;
    expect([...seen.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
    expect(seen.get('never')).toBeUndefined();
    // the race was run: both the real directory and the refused symlink were met
    expect(seen.get('inside')).toBeGreaterThan(0);
    expect(seen.get('not-permitted')).toBeGreaterThan(0);
  });
});
