import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publishOnce } from '../../../datastores/toolchain/cache-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-cache-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bytes = (text: string) => new TextEncoder().encode(text);

describe('the build cache writes each entry once', () => {
  it('keeps the first build of a key: a second, different build of it answers with the bytes on disk', async () => {
    const path = join(dir, 'components', 'key.wasm');
    expect(await publishOnce(path, bytes('first'))).toEqual(bytes('first'));
    // the build is not byte-for-byte reproducible: a config pinned to the first sha256 must keep working
    expect(await publishOnce(path, bytes('second'))).toEqual(bytes('first'));
    expect(new Uint8Array(await readFile(path))).toEqual(bytes('first'));
  });

  it('lets builders that finish at once agree on one file, and leaves no temporary file behind', async () => {
    const path = join(dir, 'key.wasm');
    const answers = await Promise.all(['a', 'b', 'c', 'd'].map((text) => publishOnce(path, bytes(text.repeat(100_000)))));
    const onDisk = new Uint8Array(await readFile(path));
    for (const answer of answers) expect(answer).toEqual(onDisk);
    expect(await readdir(dir)).toEqual(['key.wasm']);
  });
});
