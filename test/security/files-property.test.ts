import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lane } from './support/files-checks.js';
import { makeLayout, snapshot } from './support/files-layout.js';
import { applyOp, fileOps, leaked, type Held } from './support/files-ops.js';

/**
 * Issue 13, findings 1 and 2 as a property: whatever sequence of file
 * operations two lanes make on one grant, interleaved with another process
 * renaming entries and planting symlinks (to inside, one or two levels up,
 * absolute) in it, nothing beside the grant changes and nothing a lane reads
 * or lists comes from there. Directory descriptors opened by earlier steps
 * are used by later ones, after renames have moved things under them.
 * Each run gets a fresh layout, so that a failure shrinks to its own steps.
 */
describe('file operations across both lanes (fast-check)', () => {
  it('never change or read anything outside the grant', async () => {
    await fc.assert(
      fc.asyncProperty(fileOps(), async (ops) => {
        const layout = await makeLayout();
        try {
          // a start the attacks need (a nested directory) without spending generated steps on it
          await mkdir(join(layout.grant, 'a', 'b'), { recursive: true });
          // the grant's parent without the grant: the sentinel tree, and whatever might be made beside it
          const beside = () => snapshot(layout.root).filter((line) => !line.startsWith('grant ') && !line.startsWith('grant/'));
          const before = beside();
          const held: Held = [[lane(layout.grant)], [lane(layout.grant)]];
          const seen = ops.flatMap((op) => applyOp(op, held, layout.grant, layout.outside));
          expect(leaked(seen), `read or listed from outside: ${JSON.stringify(seen)}`).toBe(false);
          expect(beside()).toEqual(before);
        } finally {
          await layout.cleanup();
        }
      }),
      { numRuns: 3000 },
    );
  });
});
