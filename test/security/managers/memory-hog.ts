// A hostile manager that allocates without end (issue 13, finding 8). An instruction
// "<kind>-<MiB>", as list-databases' marker (the quick lane) or wait-for-txn's transaction
// id (the slow lane), allocates that many MiB in 1 MiB chunks, each written so that its
// pages are really resident:
//   bytes-<MiB>    typed arrays, held until the call ends;
//   strings-<MiB>  arrays of short strings, held until the call ends;
//   keep-<MiB>     typed arrays kept in module memory across calls (a leak): answers
//                  how many MiB this instance holds by now.
// It never catches what an allocation throws: the engine's out-of-memory error fails the call.
import { defineManager } from '../../../datastores/sdk/index.js';

const CHUNK = 1024 * 1024;
/** What `keep-` leaked, for as long as this instance lives. */
const kept: Uint8Array[] = [];

function bytes(mib: number, into: Uint8Array[]): void {
  for (let i = 0; i < mib; i++) into.push(new Uint8Array(CHUNK).fill((i % 251) + 1));
}

function strings(mib: number): number {
  const held: string[][] = [];
  // about 1 MiB a chunk: 64 Ki strings of 8 characters, plus the engine's overhead for each
  for (let i = 0; i < mib; i++) held.push(Array.from({ length: 64 * 1024 }, (_, j) => `${i.toString(36)}:${j.toString(36)}`.padEnd(8, '.')));
  return held.length;
}

function run(instruction: string): string {
  const [kind, size] = instruction.split('-');
  const mib = Number(size);
  if (kind === 'bytes') {
    const held: Uint8Array[] = [];
    bytes(mib, held);
    return `held ${held.length} MiB`;
  }
  if (kind === 'strings') return `held ${strings(mib)} MiB of strings`;
  if (kind === 'keep') {
    bytes(mib, kept);
    return `kept ${kept.length} MiB`;
  }
  return 'nothing';
}

export default defineManager({
  name: 'memory-hog',
  version: '0.0.1',
  datastores: ['hog'],
  operations: {
    status() {
      return 'running';
    },
    listDatabases(_ctx, paging) {
      return { items: [{ name: run(paging.marker ?? ''), characterSet: undefined, collation: undefined }], nextMarker: undefined };
    },
    waitForTxn(_ctx, transactionId) {
      run(transactionId);
    },
  },
});
