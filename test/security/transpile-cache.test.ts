import { appendFileSync, chmodSync, chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transpileComponent } from '../../host/component/compile.js';
import { lookupUser } from '../../host/os-user.js';
import { buildFixture } from '../support/components.js';

// The host runs the glue JavaScript of its transpile cache outside the sandbox. Before this
// check, whoever could write a cache entry (the datastore's user after the host dropped to
// it, or any user of the machine where the default cache sits in /tmp) chose the code the
// next host start ran unsandboxed, with the instance token in its memory.

const MARKER = 'planted-by-someone-else';
let bytes: Uint8Array;
let sha256: string;
let cacheDir: string;

beforeAll(async () => {
  ({ bytes, sha256 } = await buildFixture('counter', 'quickjs'));
});
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

/** A fresh cache filled by a first start, and the one entry in it. */
async function filledCache(): Promise<string> {
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  cacheDir = mkdtempSync(join(tmpdir(), 'berth-cache-trust-'));
  chmodSync(cacheDir, 0o755);
  await transpileComponent(bytes, cacheDir, sha256);
  const entries = readdirSync(cacheDir);
  expect(entries).toHaveLength(1);
  return join(cacheDir, entries[0]!);
}

describe('the transpile cache is believed only when nobody else could have written it', () => {
  it('reads its own entry back (so the refusals below are refusals)', async () => {
    const entry = await filledCache();
    appendFileSync(join(entry, 'manager.js'), `\n// ${MARKER}\n`);
    const again = await transpileComponent(bytes, cacheDir, sha256);
    expect(again.glue.source).toContain(MARKER);
  });

  it('ignores glue owned by another user', async () => {
    expect(process.getuid?.(), 'this test must run as root (as CI does) to hand a file to another user').toBe(0);
    const entry = await filledCache();
    const nobody = lookupUser('nobody')!;
    appendFileSync(join(entry, 'manager.js'), `\n// ${MARKER}\n`);
    chownSync(join(entry, 'manager.js'), nobody.uid, nobody.gid);
    const again = await transpileComponent(bytes, cacheDir, sha256);
    expect(again.glue.source).not.toContain(MARKER);
  });

  it('ignores an entry or a cache directory that others may write', async () => {
    for (const loosen of ['entry', 'cache'] as const) {
      const entry = await filledCache();
      appendFileSync(join(entry, 'manager.js'), `\n// ${MARKER}\n`);
      chmodSync(loosen === 'entry' ? entry : cacheDir, 0o777);
      const again = await transpileComponent(bytes, cacheDir, sha256);
      expect(again.glue.source, `a world-writable ${loosen}`).not.toContain(MARKER);
    }
  });
});
