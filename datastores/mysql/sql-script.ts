/**
 * A SQL script (what mariadb-dump writes) cut into the statements the
 * server takes one at a time, read piece by piece: the manager restores a
 * dump through its granted connection, not through the `mariadb` client,
 * whose `system` command and plugin options would run anything (issue 13,
 * finding 3). The rules are the client's: statements end at the delimiter
 * outside quotes ('…', "…" with backslash escapes or doubled quotes, `…` with
 * doubled backticks) and outside comments (# and "-- " to the end of the line,
 * /* … *\/); /*! … *\/ and /*M! … *\/ are code the server may run, so they
 * are scanned as code. A line that starts a statement with `DELIMITER x`
 * changes the delimiter (mariadb-dump's routines, triggers and events).
 * Memory: one statement and one line at a time, each bounded.
 */
import { utf8 } from '../sdk/utf8.js';

export interface Statement {
  /** As the server gets it, comments included. */
  text: string;
  /** 1-based line of the dump where it starts. */
  line: number;
}

const DELIMITER_COMMAND = /^\s*delimiter\s+(\S+)/i;

export class SqlScriptError extends Error {}

export class SqlScript {
  private delimiter = ';';
  private parts: string[] = [];
  private partChars = 0;
  /** Nothing but whitespace and plain comments in the statement so far. */
  private blank = true;
  private startLine = 1;
  private quote: '' | "'" | '"' | '`' = '';
  private quoteLine = 0;
  private inComment = false;
  private carry: string[] = [];
  private carryChars = 0;
  private line = 0;
  /** Bytes of a UTF-8 sequence cut by the end of the last chunk. */
  private pendingBytes = new Uint8Array(0);
  private bytesRead = 0;

  constructor(
    private readonly onStatement: (statement: Statement) => void,
    /** Longest statement (and line) taken, in characters: the server refuses longer ones anyway (max_allowed_packet). */
    private readonly maxChars: number,
  ) {}

  /** The next chunk of the script as bytes: UTF-8, a sequence may be cut between chunks. */
  pushBytes(chunk: Uint8Array): void {
    const bytes = this.pendingBytes.length > 0 ? concat(this.pendingBytes, chunk) : chunk;
    const whole = wholeUtf8(bytes);
    this.push(decodeStrict(bytes.subarray(0, whole), this.bytesRead - this.pendingBytes.length));
    this.bytesRead += chunk.length;
    this.pendingBytes = bytes.slice(whole);
  }

  /** The next piece of the script's text. */
  push(text: string): void {
    let from = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', from)) {
      const piece = text.slice(from, newline + 1);
      const whole = this.carry.length > 0 ? this.carry.join('') + piece : piece;
      this.carry = [];
      this.carryChars = 0;
      this.scanLine(whole);
      from = newline + 1;
    }
    if (from < text.length) {
      const rest = text.slice(from);
      this.carryChars += rest.length;
      if (this.carryChars > this.maxChars) this.tooLong(this.line + 1);
      this.carry.push(rest);
    }
  }

  /** The end of the script: a last statement without its delimiter still runs, as with the client. */
  finish(): void {
    if (this.pendingBytes.length > 0) {
      const rest = this.pendingBytes;
      this.pendingBytes = new Uint8Array(0);
      this.push(decodeStrict(rest, this.bytesRead - rest.length));
    }
    if (this.carry.length > 0) {
      const last = this.carry.join('');
      this.carry = [];
      this.scanLine(last);
    }
    if (this.quote) throw new SqlScriptError(`the quote ${this.quote} opened on line ${this.quoteLine} is never closed`);
    this.emit();
  }

  private tooLong(line: number): never {
    throw new SqlScriptError(`the statement starting on line ${line} is longer than ${this.maxChars} characters (the server's max_allowed_packet)`);
  }

  private emit(): void {
    const text = this.parts.join('').trim();
    const blank = this.blank;
    this.parts = [];
    this.partChars = 0;
    this.blank = true;
    if (!blank && text !== '') this.onStatement({ text, line: this.startLine });
  }

  /** Part of a statement outside quotes and comments: the first non-space character starts it. */
  private code(line: string, from: number, to: number): void {
    if (this.blank && /\S/.test(line.slice(from, to))) {
      this.blank = false;
      this.startLine = this.line;
    }
  }

  private keep(text: string): void {
    // only comments so far (mariadb-dump's headers): not sent, and no bound on how many
    if (text === '' || this.blank) return;
    this.partChars += text.length;
    if (this.partChars > this.maxChars) this.tooLong(this.startLine);
    this.parts.push(text);
  }

  private scanLine(line: string): void {
    this.line++;
    if (!this.quote && !this.inComment && this.blank) {
      const command = DELIMITER_COMMAND.exec(line);
      if (command) {
        // a client command, never sent
        this.delimiter = command[1]!;
        return;
      }
    }
    let segment = 0;
    let i = 0;
    const special = /['"`#]|--|\/\*/g;
    while (i < line.length) {
      if (this.quote) {
        i = this.closeQuote(line, i);
        continue;
      }
      if (this.inComment) {
        const end = line.indexOf('*/', i);
        if (end === -1) i = line.length;
        else {
          i = end + 2;
          this.inComment = false;
        }
        continue;
      }
      special.lastIndex = i;
      const found = special.exec(line);
      const delimiterAt = line.indexOf(this.delimiter, i);
      const at = found ? found.index : line.length;
      if (delimiterAt !== -1 && delimiterAt <= at) {
        this.code(line, i, delimiterAt);
        this.keep(line.slice(segment, delimiterAt));
        this.emit();
        i = segment = delimiterAt + this.delimiter.length;
        continue;
      }
      this.code(line, i, at);
      if (!found) {
        i = line.length;
        break;
      }
      const token = found[0];
      if (token === '#') {
        i = line.length;
      } else if (token === '--') {
        // "--" starts a comment only before whitespace or a control character; else it is two minus signs
        const next = line.charCodeAt(at + 2);
        if (Number.isNaN(next) || next <= 32) i = line.length;
        else i = at + 1;
      } else if (token === '/*') {
        const bang = line[at + 2] === '!' || (line[at + 2] === 'M' && line[at + 3] === '!');
        if (bang) {
          this.code(line, at, at + 2);
          i = at + 2;
        } else {
          this.inComment = true;
          i = at + 2;
        }
      } else {
        this.code(line, at, at + 1);
        this.quote = token as "'" | '"' | '`';
        this.quoteLine = this.line;
        i = at + 1;
      }
    }
    this.keep(line.slice(segment));
  }

  /** Inside a quote from `i`: where scanning goes on, the quote closed or not. */
  private closeQuote(line: string, i: number): number {
    const quote = this.quote;
    for (let at = i; at < line.length; ) {
      const close = line.indexOf(quote, at);
      const escape = quote === '`' ? -1 : line.indexOf('\\', at);
      if (escape !== -1 && (close === -1 || escape < close)) {
        at = escape + 2;
        continue;
      }
      if (close === -1) return line.length;
      if (line[close + 1] === quote) {
        at = close + 2;
        continue;
      }
      this.quote = '';
      return close + 1;
    }
    return line.length;
  }
}

/** How many of `bytes` end on a whole UTF-8 sequence: the rest waits for the next chunk. */
export function wholeUtf8(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

/** UTF-8 text, or a failure: a dump that is not UTF-8 would be restored altered, not as it was. */
function decodeStrict(bytes: Uint8Array, offset: number): string {
  const text = utf8.decode(bytes);
  if (text.includes('\uFFFD')) {
    const again = utf8.encode(text);
    if (again.length !== bytes.length || again.some((byte, i) => byte !== bytes[i])) {
      throw new SqlScriptError(`not UTF-8 text within bytes ${offset}-${offset + bytes.length} (the manager dumps with --default-character-set=utf8mb4 and --hex-blob)`);
    }
  }
  return text;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}
