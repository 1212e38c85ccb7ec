import { execFileSync } from 'node:child_process';
import { constants, openSync, closeSync } from 'node:fs';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { escapingLinks, lane, listing, outcome, swapper } from './support/files-checks.js';
import { makeLayout, SECRET, SENTINEL, snapshot, type Layout } from './support/files-layout.js';

/**
 * Issue 13, findings 1, 2 and 7, at the descriptor: wasi:filesystem as the
 * host implements it, called the way a hostile manager calls the raw
 * interface. The sentinel tree beside the grant must come out unchanged and
 * unread.
 */
let layout: Layout;
let before: string[];
beforeEach(async () => {
  layout = await makeLayout();
  before = snapshot(layout.outside);
});
afterEach(async () => {
  await layout.cleanup();
});

const unread = (outcomes: readonly string[]) => expect(outcomes.filter((o) => o.includes(SECRET) || o.includes(SENTINEL))).toEqual([]);

describe('finding 1: symlinks renamed out of reach and directory descriptors kept from before', () => {
  it('never lets a symlink made inside the grant point outside it after a rename', () => {
    const data = lane(layout.grant);
    data.createDirectoryAt('p');
    data.createDirectoryAt('p/q');
    // from p/q this lands on grant/outside (inside); from p, one level up, on the sentinel tree
    const outcomes = [outcome(() => data.symlinkAt('../../outside', 'p/q/l')), outcome(() => data.renameAt('p/q/l', data, 'p/l'))];
    outcomes.push(outcome(() => data.readDirectory()), outcome(() => data.statAt({ symlinkFollow: true }, 'p/l/sentinel-a.txt').type));
    expect(escapingLinks(layout.grant)).toEqual([]);
    expect(outcomes[0]).toBe('not-permitted');
    unread(outcomes);
    expect(snapshot(layout.outside)).toEqual(before);
  });

  it('never acts outside through a directory descriptor opened before renames put a symlink in its place (all through the capability)', () => {
    const data = lane(layout.grant);
    data.createDirectoryAt('sub');
    const sub = data.openAt({}, 'sub', { directory: true }, { read: true });
    data.createDirectoryAt('p');
    data.createDirectoryAt('p/q');
    const outcomes = [
      // grant/p/q/../outside is grant/p/outside: inside where it is made; as grant/sub it is the sentinel tree
      outcome(() => data.symlinkAt('../outside', 'p/q/l')),
      outcome(() => data.renameAt('sub', data, 'sub-moved')),
      outcome(() => data.renameAt('p/q/l', data, 'sub')),
      outcome(() => listing(sub).join(',')),
      outcome(() => sub.createDirectoryAt('planted')),
      outcome(() => sub.unlinkFileAt('sentinel-a.txt')),
      outcome(() => sub.renameAt('sentinel-nested', data, 'stolen')),
      outcome(() => sub.linkAt({}, 'sentinel-nested/sentinel-b.txt', data, 'linked')),
    ];
    unread(outcomes);
    expect(snapshot(layout.outside)).toEqual(before);
    expect(escapingLinks(layout.grant)).toEqual([]);
  });

  it('keeps a directory descriptor on its own directory when something else swaps a symlink to outside into its place', async () => {
    const denials: string[] = [];
    const data = lane(layout.grant, denials);
    await mkdir(join(layout.grant, 'sub'));
    await writeFile(join(layout.grant, 'sub', 'mine.txt'), 'mine');
    const sub = data.openAt({}, 'sub', { directory: true }, { read: true });
    // a program, not the capability, moves the directory and leaves a link to outside under its name
    await rename(join(layout.grant, 'sub'), join(layout.grant, 'sub-moved'));
    await symlink(layout.outside, join(layout.grant, 'sub'));
    const outcomes = [
      outcome(() => listing(sub).join(',')),
      outcome(() => sub.createDirectoryAt('planted')),
      outcome(() => sub.unlinkFileAt('sentinel-a.txt')),
      outcome(() => sub.renameAt('sentinel-nested', sub, 'renamed')),
      outcome(() => sub.symlinkAt('mine.txt', 'made-link')),
      outcome(() => sub.statAt({}, 'sentinel-a.txt').type),
    ];
    unread(outcomes);
    expect(snapshot(layout.outside)).toEqual(before);
    // what the descriptor reached is the directory it was opened on, wherever that went
    expect(outcomes[0]).toBe('ok:mine.txt');
    expect(listing(data.openAt({}, 'sub-moved', { directory: true }, { read: true }))).toEqual(['made-link', 'mine.txt', 'planted']);
    // and a path through the planted link is refused when followed
    expect(outcome(() => data.statAt({ symlinkFollow: true }, 'sub/sentinel-a.txt'))).toBe('not-permitted');
  });

  it('refuses to move or hard-link a symlink that a program made pointing up, and tells the operator', async () => {
    const denials: string[] = [];
    const data = lane(layout.grant, denials);
    await mkdir(join(layout.grant, 'p', 'q'), { recursive: true });
    await symlink('../outside', join(layout.grant, 'p', 'q', 'up'));
    expect(outcome(() => data.renameAt('p/q/up', data, 'up'))).toBe('not-permitted');
    expect(outcome(() => data.linkAt({}, 'p/q/up', data, 'up'))).toBe('not-permitted');
    expect(outcome(() => data.symlinkAt('a/../b', 'made'))).toBe('not-permitted');
    expect(outcome(() => data.symlinkAt('down/below', 'made'))).toBe('ok');
    expect(denials).toHaveLength(3);
    expect(escapingLinks(layout.grant)).toEqual([]);
  });
});

describe('finding 2: another process swapping a directory and a symlink to outside under the name being used', () => {
  it('never steals, plants, makes or hard-links anything outside, whatever the timing', async () => {
    const data = lane(layout.grant);
    await mkdir(join(layout.grant, 'real'));
    await writeFile(join(layout.grant, 'real', 'inside.txt'), 'inside');
    await symlink('../outside', join(layout.grant, 'link'));
    const swapping = swapper(layout.grant, 150_000);
    let done = false;
    void swapping.then(() => (done = true));
    const seen = new Map<string, number>();
    const count = (what: string) => seen.set(what, (seen.get(what) ?? 0) + 1);
    const attacks: Record<string, () => unknown> = {
      steal: () => data.renameAt('flip/sentinel-a.txt', data, 'stolen.txt'),
      'hard-link': () => data.linkAt({}, 'flip/sentinel-nested/sentinel-b.txt', data, 'linked.txt'),
      plant: () => data.openAt({}, 'flip/planted.txt', { create: true }, { write: true }),
      'make a directory': () => data.createDirectoryAt('flip/made'),
      read: () => new TextDecoder().decode(data.openAt({}, 'flip/inside.txt', {}, { read: true }).read(100n, 0n)[0]),
    };
    while (!done) {
      for (const [name, attack] of Object.entries(attacks)) {
        const result = outcome(attack);
        count(`${name}: ${result}`);
        // keep the grant as it was, so each attempt is a fresh try
        for (const leftover of ['stolen.txt', 'linked.txt', 'real/planted.txt']) outcome(() => data.unlinkFileAt(leftover));
        outcome(() => data.removeDirectoryAt('real/made'));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    unread([...seen.keys()]);
    expect(snapshot(layout.outside)).toEqual(before);
    // the race was run: the real directory and the refused link were both met under the name
    expect(seen.get('read: ok:inside')).toBeGreaterThan(0);
    expect(seen.get('read: not-permitted')).toBeGreaterThan(0);
  });
});

describe('finding 7: FIFOs and other special files', () => {
  /** What opening `path` through the capability answers, in a thread of its own: a blocked open must not block the test. */
  function openInThread(grant: string, path: string, write: boolean): { answer: Promise<string>; stop(): Promise<number> } {
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       import(workerData.module).then(({ createFiles }) => {
         const [[data]] = createFiles([{ hostPath: workerData.grant, guestPath: '/data', access: 'read-write' }]).preopens.getDirectories();
         try { data.openAt({}, workerData.path, {}, workerData.write ? { write: true } : { read: true }); parentPort.postMessage('ok'); }
         catch (code) { parentPort.postMessage(String(code)); }
       });`,
      { eval: true, workerData: { module: `file://${PACKAGE_ROOT}/dist/host/capabilities/files.js`, grant, path, write } },
    );
    return { answer: new Promise((resolve) => worker.once('message', resolve)), stop: () => worker.terminate() };
  }

  it.each([
    ['for reading', false],
    ['for writing', true],
  ])('answers an open of a FIFO %s at once, refused, instead of blocking its thread', async (_label, write) => {
    const fifo = join(layout.grant, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const opening = openInThread(layout.grant, 'pipe', write);
    // no deadline is asserted: a blocked open never answers, and the test fails at its own timeout
    const answer = await Promise.race([opening.answer, new Promise<string>((resolve) => setTimeout(() => resolve('no answer: blocked in open'), 20_000))]);
    if (answer.startsWith('no answer')) {
      // release the blocked open(2) (the other end of the FIFO), or the thread outlives the test
      const other = openSync(fifo, (write ? constants.O_RDONLY : constants.O_WRONLY) | constants.O_NONBLOCK);
      await opening.answer;
      closeSync(other);
    }
    await opening.stop();
    expect(answer).toBe('not-permitted');
  });

  it('refuses a socket the grant holds, tells the operator, and still opens regular files and directories', async () => {
    const denials: string[] = [];
    const data = lane(layout.grant, denials);
    await writeFile(join(layout.grant, 'file.txt'), 'x');
    await mkdir(join(layout.grant, 'dir'));
    const server = (await import('node:net')).createServer();
    await new Promise<void>((resolve) => server.listen(join(layout.grant, 'sock'), resolve));
    try {
      expect(outcome(() => data.openAt({}, 'sock', {}, { read: true }))).toBe('not-permitted');
      expect(denials).toEqual([expect.stringContaining('sock')]);
      expect(outcome(() => data.openAt({}, 'file.txt', {}, { read: true }))).toBe('ok');
      expect(outcome(() => data.openAt({}, 'dir', { directory: true }, { read: true }))).toBe('ok');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the granted directory itself', () => {
  it('follows a program that removes and makes it again, and refuses a symlink left in its place', async () => {
    const { rm: remove } = await import('node:fs/promises');
    const denials: string[] = [];
    const data = lane(layout.grant, denials);
    data.createDirectoryAt('before');
    await remove(layout.grant, { recursive: true });
    await mkdir(layout.grant);
    data.createDirectoryAt('after');
    expect(listing(data)).toEqual(['after']);
    await remove(layout.grant, { recursive: true });
    await symlink(layout.outside, layout.grant);
    expect(outcome(() => data.statAt({}, 'sentinel-a.txt'))).toBe('not-permitted');
    expect(outcome(() => data.createDirectoryAt('planted'))).toBe('not-permitted');
    expect(denials).toEqual(expect.arrayContaining([expect.stringContaining('is no longer a directory at')]));
    expect(snapshot(layout.outside)).toEqual(before);
  });
});
