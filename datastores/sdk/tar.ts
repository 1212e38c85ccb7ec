// POSIX ustar, the subset a backup needs: regular files and directories,
// written and read in pieces so no file has to fit in memory at once. An
// operator can open the artifact with any tar.
import { ManagerError } from './errors.js';
import { utf8 } from './utf8.js';

const BLOCK = 512;

export interface TarEntry {
  /** Relative path inside the archive, '/'-separated. */
  path: string;
  type: 'file' | 'directory';
  size: number;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function splitName(path: string): { name: string; prefix: string } {
  if (utf8.encode(path).length <= 100) return { name: path, prefix: '' };
  const cut = path.lastIndexOf('/', 155);
  if (cut <= 0 || utf8.encode(path.slice(cut + 1)).length > 100) throw ManagerError.failed(`${path}: too long for a ustar archive`);
  return { name: path.slice(cut + 1), prefix: path.slice(0, cut) };
}

/** The 512-byte header of one entry. */
export function tarHeader(entry: TarEntry): Uint8Array {
  const header = new Uint8Array(BLOCK);
  const put = (text: string, offset: number) => header.set(utf8.encode(text), offset);
  const { name, prefix } = splitName(entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path);
  put(name, 0);
  put(octal(entry.type === 'directory' ? 0o700 : 0o600, 8), 100);
  put(octal(0, 8), 108);
  put(octal(0, 8), 116);
  put(octal(entry.type === 'directory' ? 0 : entry.size, 12), 124);
  put(octal(0, 12), 136);
  put('        ', 148);
  put(entry.type === 'directory' ? '5' : '0', 156);
  put('ustar\0', 257);
  put('00', 263);
  put(prefix, 345);
  let sum = 0;
  for (const byte of header) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}

/** Zero bytes that pad a file's data to whole blocks. */
export function tarPadding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The two zero blocks that end an archive. */
export function tarEnd(): Uint8Array {
  return new Uint8Array(BLOCK * 2);
}

function field(header: Uint8Array, offset: number, length: number): string {
  const bytes = header.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  return utf8.decode(end === -1 ? bytes : bytes.subarray(0, end));
}

/**
 * Reads an archive from a stream of chunks of any size, calling `onEntry`
 * for each entry and `onData` with its bytes in order.
 */
export class TarReader {
  private buffer = new Uint8Array(0);
  private current: (TarEntry & { left: number; padding: number }) | undefined;
  private ended = false;

  constructor(
    private readonly onEntry: (entry: TarEntry) => void,
    private readonly onData: (entry: TarEntry, data: Uint8Array) => void,
  ) {}

  push(chunk: Uint8Array): void {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.length);
    this.buffer = joined;
    this.drain();
  }

  /** The archive must be complete: its end blocks seen and no entry cut short. */
  finish(): void {
    if (!this.ended || this.current) throw ManagerError.failed('the backup archive is truncated');
  }

  private drain(): void {
    let offset = 0;
    while (!this.ended) {
      if (this.current) {
        const take = Math.min(this.current.left, this.buffer.length - offset);
        if (take > 0) this.onData(this.current, this.buffer.subarray(offset, offset + take));
        offset += take;
        this.current.left -= take;
        if (this.current.left > 0) break;
        if (this.buffer.length - offset < this.current.padding) break;
        offset += this.current.padding;
        this.current = undefined;
        continue;
      }
      if (this.buffer.length - offset < BLOCK) break;
      const header = this.buffer.subarray(offset, offset + BLOCK);
      offset += BLOCK;
      if (header.every((byte) => byte === 0)) {
        this.ended = true;
        break;
      }
      const prefix = field(header, 345, 155);
      const name = field(header, 0, 100);
      const type = field(header, 156, 1);
      const size = parseInt(field(header, 124, 12).trim() || '0', 8);
      if (field(header, 257, 5) !== 'ustar' || Number.isNaN(size)) throw ManagerError.failed('the backup archive is not a ustar archive');
      const path = (prefix ? `${prefix}/${name}` : name).replace(/\/$/, '');
      if (path.split('/').some((part) => part === '..' || part === '') || path.startsWith('/')) throw ManagerError.failed(`the backup archive names an unsafe path: ${path}`);
      const entry: TarEntry = { path, type: type === '5' ? 'directory' : 'file', size: type === '5' ? 0 : size };
      this.onEntry(entry);
      if (entry.size > 0) this.current = { ...entry, left: entry.size, padding: (BLOCK - (entry.size % BLOCK)) % BLOCK };
    }
    this.buffer = this.buffer.slice(offset);
  }
}
