import { BerthError } from '../../datastores/errors/berth-error.js';

/** One `key = value` of the file: the value as oslo reads it, and the line it starts on. */
export interface OsloAssignment {
  value: string;
  line: number;
}

/**
 * A parsed oslo.config file: sections by name (DEFAULT as written, every
 * other lowercased, as oslo normalizes group names), each key with every
 * assignment it was given in file order (oslo keeps them all: a single-valued
 * option takes the last, a multi-valued one all of them).
 */
export type OsloIni = Map<string, Map<string, OsloAssignment[]>>;

/**
 * oslo.config's own INI dialect, which the npm `ini` package does not
 * read: comments only at the start of a line (`#` or `;`; a `#` inside a
 * value is part of it, as in a password), `=` or `:` (whichever comes
 * first) between key and value, one pair of matching quotes stripped, and
 * a line starting with a space or tab continuing the value above it (the
 * parts joined with newlines) until a blank line or the next key. Errors
 * name the file and line, as oslo's ParseError does.
 */
export function parseOsloIni(text: string, file: string): OsloIni {
  const sections: OsloIni = new Map();
  let section: Map<string, OsloAssignment[]> | undefined;
  let pending: { key: string; parts: string[]; line: number } | undefined;
  const fail = (line: number, message: string, fix: string): never => {
    throw new BerthError('BERTH_ERR_CONFIG_INVALID', `${file}:${line}: ${message}`, fix);
  };
  const flush = () => {
    if (!pending) return;
    const assignments = section!.get(pending.key) ?? [];
    assignments.push({ value: pending.parts.join('\n'), line: pending.line });
    section!.set(pending.key, assignments);
    pending = undefined;
  };

  text.split(/\r?\n/).forEach((raw, index) => {
    const number = index + 1;
    const line = raw.trimEnd();
    if (line === '') return flush();
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (!pending) fail(number, 'a continuation line (it starts with a space or tab) follows no option', 'remove the leading whitespace, or put the line under the option it continues');
      pending!.parts.push(line.trimStart());
      return;
    }
    flush();
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) fail(number, `section header ${JSON.stringify(line)} does not end with ]`, 'write it as [name]');
      if (line.length <= 2) fail(number, 'empty section name []', 'name the section, e.g. [DEFAULT] or [mysql]');
      const name = line.slice(1, -1) === 'DEFAULT' ? 'DEFAULT' : line.slice(1, -1).toLowerCase();
      section = sections.get(name) ?? new Map();
      sections.set(name, section);
      return;
    }
    if (line.startsWith('#') || line.startsWith(';')) return;
    const equal = line.indexOf('=');
    const colon = line.indexOf(':');
    if (equal < 0 && colon < 0) fail(number, `${JSON.stringify(line)} has no "=" (or ":") between option and value`, 'write it as option = value');
    const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon;
    const key = line.slice(0, at).trim();
    let value = line.slice(at + 1).trim();
    if (key === '') fail(number, `${JSON.stringify(line)} has no option name before its value`, 'write it as option = value');
    if (value.length > 0 && value[0] === value.at(-1) && (value[0] === '"' || value[0] === "'")) value = value.slice(1, -1);
    if (!section) fail(number, `option ${key} comes before any [section]`, 'put it under [DEFAULT] or the group it belongs to');
    pending = { key, parts: [value], line: number };
  });
  flush();
  return sections;
}
