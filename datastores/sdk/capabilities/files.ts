import { getDirectories } from 'wasi:filesystem/preopens@0.2.12';
import type { Descriptor, DescriptorType, ErrorCode } from 'wasi:filesystem/types@0.2.12';
import { ManagerError, payloadOf } from '../errors.js';
import { utf8 } from '../utf8.js';
import { big, wire64 } from '../engine.js';

/**
 * Files inside the directories the guest config preopens, addressed by their
 * guest paths ("/var/lib/postgresql/data/PG_VERSION"). Anything outside a
 * preopen is `denied` before the host is even asked.
 */
export interface Files {
  readBytes(path: string): Uint8Array;
  readText(path: string): string;
  writeBytes(path: string, data: Uint8Array): void;
  /** Up to `length` bytes from `offset`; fewer (or none) at the end of the file. For files too large to read whole. */
  readRange(path: string, offset: number, length: number): Uint8Array;
  /** Write `data` at `offset`, creating the file if needed and never truncating it: for writing a large file piece by piece. */
  writeAt(path: string, offset: number, data: Uint8Array): void;
  writeText(path: string, text: string): void;
  exists(path: string): boolean;
  list(directory: string): Array<{ name: string; type: DescriptorType }>;
  makeDirectory(path: string): void;
  remove(path: string): void;
  size(path: string): number;
}


function normalise(path: string): string {
  if (!path.startsWith('/')) throw ManagerError.invalidArgument('path', `"${path}" must be an absolute guest path`);
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw ManagerError.denied(`"${path}": ".." is not allowed in guest paths`);
    parts.push(part);
  }
  return '/' + parts.join('/');
}

function fileError(path: string, thrown: unknown): ManagerError {
  const code = (payloadOf(thrown) ?? thrown) as ErrorCode | unknown;
  switch (code) {
    case 'no-entry':
      return ManagerError.notFound(path);
    case 'exist':
      return ManagerError.alreadyExists(path);
    case 'access':
    case 'not-permitted':
    case 'read-only':
      return ManagerError.denied(`${path} (${String(code)})`);
    default:
      return ManagerError.failed(`${path}: ${typeof code === 'string' ? code : String(thrown)}`);
  }
}

/**
 * The grants never change while an instance lives, and each getDirectories
 * call makes the host hand out new handles: ask once, at the first file
 * operation (never while the component is being pre-initialised).
 */
let preopened: Array<[Descriptor, string]> | undefined;

/** The preopen holding `path` and the path relative to it. */
function locate(path: string): { root: Descriptor; relative: string } {
  const target = normalise(path);
  let best: { root: Descriptor; mount: string } | undefined;
  for (const [root, mount] of (preopened ??= getDirectories())) {
    const base = mount === '/' ? '/' : mount.replace(/\/+$/, '');
    const inside = target === base || target.startsWith(base === '/' ? '/' : base + '/');
    if (inside && (!best || base.length > best.mount.length)) best = { root, mount: base };
  }
  if (!best) throw ManagerError.denied(`${path} is not inside a directory granted to this manager`);
  const relative = target.slice(best.mount.length).replace(/^\/+/, '');
  return { root: best.root, relative: relative === '' ? '.' : relative };
}

/** `create`: true = create or truncate; 'keep' = create if missing, keep what is there. */
function withFile<T>(path: string, write: boolean, create: boolean | 'keep', use: (file: Descriptor) => T): T {
  const { root, relative } = locate(path);
  let file: Descriptor;
  try {
    file = root.openAt({}, relative, { create: create !== false, truncate: create === true }, write ? { write: true } : { read: true });
  } catch (thrown) {
    throw fileError(path, thrown);
  }
  try {
    return use(file);
  } catch (thrown) {
    throw thrown instanceof ManagerError ? thrown : fileError(path, thrown);
  } finally {
    file[Symbol.dispose]?.();
  }
}

function at<T>(path: string, use: (root: Descriptor, relative: string) => T): T {
  const { root, relative } = locate(path);
  try {
    return use(root, relative);
  } catch (thrown) {
    throw fileError(path, thrown);
  }
}

/** The chunks of one read as one array of `total` bytes (the chunk itself when there is one). */
function joined(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let position = 0;
  for (const chunk of chunks) {
    out.set(chunk, position);
    position += chunk.length;
  }
  return out;
}

export const files: Files = {
  readBytes(path) {
    // Sized from a stat, which the host answers on the manager's own thread, while every read is a round trip
    // through the host's I/O thread: a small regular file comes whole in one read, without a 1 MiB buffer and
    // a second read to find the end. A short read of a regular file is its end; anything else reads to an empty chunk.
    const stat = at(path, (root, relative) => root.statAt({}, relative));
    const regular = stat.type === 'regular-file';
    const step = regular ? Math.min(Number(big(stat.size)) + 1, 1 << 20) : 1 << 20;
    return withFile(path, false, false, (file) => {
      const chunks: Uint8Array[] = [];
      let offset = 0;
      for (;;) {
        const [chunk, end] = file.read(wire64(step) as bigint, wire64(offset) as bigint);
        chunks.push(chunk);
        offset += chunk.length;
        if (end || chunk.length === 0 || (regular && chunk.length < step)) break;
      }
      return joined(chunks, offset);
    });
  },
  readText(path) {
    return utf8.decode(files.readBytes(path));
  },
  writeBytes(path, data) {
    withFile(path, true, true, (file) => {
      let offset = 0;
      while (offset < data.length) offset += Number(big(file.write(data.subarray(offset), wire64(offset) as bigint)));
    });
  },
  writeText(path, text) {
    files.writeBytes(path, utf8.encode(text));
  },
  readRange(path, offset, length) {
    return withFile(path, false, false, (file) => {
      const chunks: Uint8Array[] = [];
      let got = 0;
      while (got < length) {
        const [chunk, end] = file.read(wire64(length - got) as bigint, wire64(offset + got) as bigint);
        chunks.push(chunk);
        got += chunk.length;
        if (end || chunk.length === 0) break;
      }
      return joined(chunks, got);
    });
  },
  writeAt(path, offset, data) {
    withFile(path, true, 'keep', (file) => {
      let written = 0;
      while (written < data.length) written += Number(big(file.write(data.subarray(written), wire64(offset + written) as bigint)));
    });
  },
  exists(path) {
    const { root, relative } = locate(path);
    try {
      root.statAt({}, relative);
      return true;
    } catch (thrown) {
      // answered from the host's code, with no ManagerError made only to be caught: an Error's backtrace is dear in QuickJS
      if ((payloadOf(thrown) ?? thrown) === 'no-entry') return false;
      throw fileError(path, thrown);
    }
  },
  list(directory) {
    return at(directory, (root, relative) => {
      // "." is opened too, so that any host's wasi:filesystem lists it (preview2-shim's could not list a preopen)
      const dir = root.openAt({}, relative, { directory: true }, { read: true });
      try {
        const stream = dir.readDirectory();
        const entries: Array<{ name: string; type: DescriptorType }> = [];
        try {
          for (let entry = stream.readDirectoryEntry(); entry; entry = stream.readDirectoryEntry()) {
            entries.push({ name: entry.name, type: entry.type });
          }
        } finally {
          stream[Symbol.dispose]?.();
        }
        return entries.sort((a, b) => a.name.localeCompare(b.name));
      } finally {
        dir[Symbol.dispose]?.();
      }
    });
  },
  makeDirectory(path) {
    at(path, (root, relative) => root.createDirectoryAt(relative));
  },
  remove(path) {
    at(path, (root, relative) => {
      const { type } = root.statAt({}, relative);
      if (type === 'directory') root.removeDirectoryAt(relative);
      else root.unlinkFileAt(relative);
    });
  },
  size(path) {
    return Number(big(at(path, (root, relative) => root.statAt({}, relative)).size));
  },
};
