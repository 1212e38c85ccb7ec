import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lane } from './support/files-checks.js';
import { makeLayout, snapshot, type Layout } from './support/files-layout.js';
import { applyOp, fileOps, leaked, type Held } from './support/files-ops.js';

/**
 * Issue 13, findings 1 and 2 as a property: whatever sequence of file
 * operations two lanes make on one grant, interleaved with another process
 * renaming entries and planting symlinks (to inside, one or two levels up,
 * absolute) in it, nothing beside the grant changes and nothing a lane reads
 * or lists comes from there. Directory descriptors opened by earlier steps
 * are used by later ones, after the renames have moved things under them.
 */
let layout: Layout;
let outsideBefore: string[];
let besideBefore: string[];

/** The grant's parent, without the grant: the sentinel tree beside it, and whatever might be made next to them. */
const beside = () => snapshot(layout.root).filter((line) => !line.startsWith('grant ') && !line.startsWith('grant/'));

beforeAll(async () => {
  layout = await makeLayout();
  outsideBefore = snapshot(layout.outside);
  besideBefore = beside();
});
afterAll(() => layout?.cleanup());

async function emptyGrant(): Promise<void> {
  for (const name of readdirSync(layout.grant)) await rm(join(layout.grant, name), { recursive: true, force: true });
}

describe('file operations across both lanes (fast-check)', () => {
  it('never change or read anything outside the grant', async () => {
    await fc.assert(
      fc.asyncProperty(fileOps(layout.outside), async (ops) => {
        await emptyGrant();
        const held: Held = [[lane(layout.grant)], [lane(layout.grant)]];
        const seen = ops.flatMap((op) => applyOp(op, held, layout.grant));
        expect(leaked(seen), `read or listed from outside: ${JSON.stringify(seen)}`).toBe(false);
        expect(snapshot(layout.outside)).toEqual(outsideBefore);
        expect(beside()).toEqual(besideBefore);
      }),
      { numRuns: 300 },
    );
  });
});
