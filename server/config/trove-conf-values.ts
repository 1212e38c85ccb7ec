import { BerthError } from '../../datastores/errors/berth-error.js';
import type { OsloIni } from './oslo-ini.js';
import type { TroveType } from './trove-conf-options.js';

export type TroveConfValue = string | number | boolean | string[];

/** The option an error is about, as the operator finds it in the file. */
export interface OptionRef {
  file: string;
  section: string;
  option: string;
}

export function optionError(ref: OptionRef, line: number | undefined, message: string, fix?: string): BerthError {
  return new BerthError(
    'BERTH_ERR_CONFIG_INVALID',
    `${ref.file}${line ? `:${line}` : ''}: [${ref.section}] ${ref.option}: ${message}`,
    fix ?? `correct [${ref.section}] ${ref.option} in ${ref.file}, or remove it to keep Berth's default (Trove's)`,
  );
}

// oslo's string.Template: $name or ${name} (same group, then [DEFAULT]), ${group.name}; $$ and \$ are a dollar sign
const REFERENCE = /\\\$|\$\$|\$\{([_a-z][._a-z0-9]*)\}|\$([_a-z][_a-z0-9]*)/gi;

/**
 * The text of `option` in `section` as oslo substitutes it: each reference
 * replaced by the referenced option's value in the file, else by `fallback`
 * (Trove's default, where Berth knows it); one that neither has is an error
 * naming the option that refers to it.
 */
export function substitute(ini: OsloIni, ref: OptionRef, text: string, line: number | undefined, fallback: (section: string, option: string) => string | undefined, depth = 0): string {
  if (depth > 8) throw optionError(ref, line, 'its references refer to each other in a loop', 'replace a ${...} reference by the value');
  return text.replace(REFERENCE, (match, braced: string | undefined, bare: string | undefined) => {
    if (match === '$$' || match === '\\$') return '$';
    const name = (braced ?? bare)!;
    const [section, option] = name.includes('.') ? [name.slice(0, name.indexOf('.')).toLowerCase(), name.slice(name.indexOf('.') + 1)] : [ref.section, name];
    const candidates = name.includes('.') ? [[section, option]] : [[section, option], ['DEFAULT', option]];
    for (const [group, key] of candidates as Array<[string, string]>) {
      const assigned = ini.get(group)?.get(key)?.at(-1);
      if (assigned) return substitute(ini, { ...ref, section: group, option: key }, assigned.value, assigned.line, fallback, depth + 1);
      const known = fallback(group, key);
      if (known !== undefined) return known;
    }
    throw optionError(ref, line, `refers to ${match}, which this file does not set and whose default Berth does not know`, `set ${name} in the file, or write the value instead of ${match}`);
  });
}

const TRUE = ['true', '1', 'on', 'yes'];
const FALSE = ['false', '0', 'off', 'no'];

/** A value read as oslo's type reads it (List: comma-separated, stripped, a trailing comma ignored); a value oslo would refuse is an error naming the option. */
export function typedValue(ref: OptionRef, text: string, line: number | undefined, type: TroveType): TroveConfValue {
  switch (type) {
    case 'string':
      return text;
    case 'integer': {
      if (!/^[+-]?\d+$/.test(text.trim())) throw optionError(ref, line, `${JSON.stringify(text)} is not an integer`);
      return Number(text.trim());
    }
    case 'boolean': {
      const word = text.trim().toLowerCase();
      if (TRUE.includes(word)) return true;
      if (FALSE.includes(word)) return false;
      throw optionError(ref, line, `${JSON.stringify(text)} is not a boolean (true or false, yes or no, on or off, 1 or 0)`);
    }
    case 'list':
    case 'ports': {
      const list = text.trim().replace(/,+$/, '');
      return list === '' ? [] : list.split(',').map((item) => item.trim());
    }
  }
}
