/**
 * The per-call cost of wasi:filesystem as the host implements it
 * (host/capabilities/files*.ts), on the calling thread through the
 * capability's own descriptors (no component, no worker hop): a small read,
 * a small write, the stat of a missing file (the SDK's existence check) and
 * a stat three directories deep. Median over rounds; per-call microseconds.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFiles } from '../host/capabilities/files.js';
import type { Descriptor } from '../host/generated/interfaces/wasi-filesystem-types.js';
import { loadLine, machineLine, median } from './support.js';

const ROUNDS = 7;
const CALLS = 20_000;
const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');
const drop = (descriptor: Descriptor) => (descriptor as unknown as Record<symbol, () => void>)[DISPOSE]!();

function perCallUs(action: () => void): number {
  for (let i = 0; i < 2_000; i++) action();
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) action();
    rounds.push(Number(process.hrtime.bigint() - started) / 1000 / CALLS);
  }
  return median(rounds);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-files-'));
  try {
    await mkdir(join(dir, 'a', 'b', 'c'), { recursive: true });
    await writeFile(join(dir, 'small.txt'), 'x'.repeat(512));
    await writeFile(join(dir, 'a', 'b', 'c', 'deep.txt'), 'deep');
    const files = createFiles([{ hostPath: dir, guestPath: '/data', access: 'read-write' }]);
    const [[data]] = files.preopens.getDirectories() as [[Descriptor, string]];
    const payload = new Uint8Array(512).fill(121);
    const figures: Record<string, number> = {
      'small read (open, read 4 KiB, close)': perCallUs(() => {
        const file = data.openAt({}, 'small.txt', {}, { read: true });
        file.read(4096n, 0n);
        drop(file);
      }),
      'small write (open, overwrite 512 B in place, close)': perCallUs(() => {
        const file = data.openAt({}, 'written.txt', { create: true }, { write: true });
        file.write(payload, 0n);
        drop(file);
      }),
      'stat of a missing file': perCallUs(() => {
        try {
          data.statAt({}, 'missing.txt');
        } catch {
          // no-entry, as expected
        }
      }),
      'stat 3 directories deep (a/b/c/deep.txt)': perCallUs(() => void data.statAt({}, 'a/b/c/deep.txt')),
      'read 3 directories deep (open, read, close)': perCallUs(() => {
        const file = data.openAt({}, 'a/b/c/deep.txt', {}, { read: true });
        file.read(4096n, 0n);
        drop(file);
      }),
    };
    console.log(machineLine());
    console.log(loadLine());
    console.log(`per call, median of ${ROUNDS} rounds of ${CALLS}, us:`);
    for (const [label, us] of Object.entries(figures)) console.log(`  ${label}: ${us.toFixed(2)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
