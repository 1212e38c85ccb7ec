// A hostile manager: raw wasi:filesystem calls (not the SDK, which refuses ".." before asking), run from a script
// the test sends, on either lane: list-databases runs on the quick lane, wait-for-txn on the slow one.
import { getDirectories } from 'wasi:filesystem/preopens@0.2.12';
import type { Descriptor } from 'wasi:filesystem/types@0.2.12';
import { defineManager, ManagerError } from '../../../datastores/sdk/index.js';
import { wire64 } from '../../../datastores/sdk/engine.js';
import { utf8 } from '../../../datastores/sdk/utf8.js';

/** One step of a script; `in` names a descriptor kept from an earlier step ("root" is the first preopen). */
type Step =
  | { op: 'open-dir'; path: string; as: string; in?: string }
  | { op: 'drop'; name: string }
  | { op: 'mkdir' | 'rmdir' | 'unlink' | 'list' | 'read' | 'stat' | 'readlink'; path: string; in?: string }
  | { op: 'create'; path: string; text: string; in?: string }
  | { op: 'symlink'; target: string; path: string; in?: string }
  | { op: 'rename' | 'link'; from: string; to: string; in?: string; toIn?: string }
  | { op: 'repeat'; times: number; steps: Step[] };

const kept = new Map<string, Descriptor>();

function descriptor(name = 'root'): Descriptor {
  if (name === 'root') {
    const root = kept.get('root') ?? getDirectories()[0]![0];
    kept.set('root', root);
    return root;
  }
  const found = kept.get(name);
  if (!found) throw new Error(`no descriptor ${name}`);
  return found;
}

function names(dir: Descriptor): string {
  const stream = dir.readDirectory();
  const seen: string[] = [];
  for (let entry = stream.readDirectoryEntry(); entry; entry = stream.readDirectoryEntry()) seen.push(entry.name);
  return seen.sort().join(',');
}

/** What one step did: "ok", "ok:<what it read>", or the error code it met. */
function run(step: Exclude<Step, { op: 'repeat' }>): string {
  try {
    const dir = descriptor('in' in step ? step.in : undefined);
    switch (step.op) {
      case 'open-dir':
        kept.set(step.as, dir.openAt({}, step.path, { directory: true }, { read: true }));
        return 'ok';
      case 'drop':
        kept.get(step.name)?.[Symbol.dispose]?.();
        kept.delete(step.name);
        return 'ok';
      case 'mkdir':
        dir.createDirectoryAt(step.path);
        return 'ok';
      case 'rmdir':
        dir.removeDirectoryAt(step.path);
        return 'ok';
      case 'unlink':
        dir.unlinkFileAt(step.path);
        return 'ok';
      case 'list':
        return `ok:${names(step.path === '.' ? dir : dir.openAt({}, step.path, { directory: true }, { read: true }))}`;
      case 'read': {
        const file = dir.openAt({ symlinkFollow: true }, step.path, {}, { read: true });
        try {
          return `ok:${utf8.decode(file.read(wire64(4096) as bigint, wire64(0) as bigint)[0])}`;
        } finally {
          file[Symbol.dispose]?.();
        }
      }
      case 'stat':
        return `ok:${dir.statAt({ symlinkFollow: true }, step.path).type}`;
      case 'readlink':
        return `ok:${dir.readlinkAt(step.path)}`;
      case 'create': {
        const file = dir.openAt({ symlinkFollow: true }, step.path, { create: true, truncate: true }, { write: true });
        try {
          file.write(utf8.encode(step.text), wire64(0) as bigint);
        } finally {
          file[Symbol.dispose]?.();
        }
        return 'ok';
      }
      case 'symlink':
        dir.symlinkAt(step.target, step.path);
        return 'ok';
      case 'rename':
        dir.renameAt(step.from, descriptor(step.toIn ?? step.in), step.to);
        return 'ok';
      case 'link':
        dir.linkAt({}, step.from, descriptor(step.toIn ?? step.in), step.to);
        return 'ok';
    }
  } catch (thrown) {
    const payload = (thrown as { payload?: unknown }).payload;
    return String(payload ?? (thrown instanceof Error ? thrown.message : thrown));
  }
}

/** Each step's outcome; a repeat answers how often each outcome came, "ok:inside x120 | no-entry x3". */
function script(steps: Step[]): string[] {
  return steps.map((step) => {
    if (step.op !== 'repeat') return run(step);
    const counts = new Map<string, number>();
    for (let i = 0; i < step.times; i++) for (const outcome of script(step.steps)) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    return [...counts].map(([outcome, count]) => `${outcome} x${count}`).sort().join(' | ');
  });
}

export default defineManager({
  name: 'file-escape',
  version: '0.0.1',
  datastores: ['hostile'],
  operations: {
    status() {
      return 'running';
    },
    listDatabases(_ctx, paging) {
      const outcomes = script(JSON.parse(paging.marker ?? '[]') as Step[]);
      return { items: outcomes.map((name) => ({ name, characterSet: undefined, collation: undefined })), nextMarker: undefined };
    },
    waitForTxn(_ctx, transactionId) {
      throw ManagerError.failed(JSON.stringify(script(JSON.parse(transactionId) as Step[])));
    },
  },
});
