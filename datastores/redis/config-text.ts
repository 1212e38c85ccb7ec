import { ManagerError } from '../sdk/errors.js';
import { checkSetting, settingKey, type Setting } from './override-rules.js';

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

/**
 * One config line split as redis-server splits it (sdssplitargs): words,
 * "double quoted" with backslash escapes, 'single quoted'. Undefined when
 * the quotes do not balance.
 */
export function splitArguments(line: string): string[] | undefined {
  const words: string[] = [];
  let i = 0;
  for (;;) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) return words;
    let word = '';
    const quote = line[i] === '"' || line[i] === "'" ? line[i] : undefined;
    if (quote) i++;
    for (;;) {
      if (i >= line.length) {
        if (quote) return undefined;
        break;
      }
      const char = line[i]!;
      if (!quote && /\s/.test(char)) break;
      if (quote && char === quote) {
        i++;
        // a closing quote must end the word, as in Redis
        if (i < line.length && !/\s/.test(line[i]!)) return undefined;
        break;
      }
      if (quote === '"' && char === '\\' && i + 1 < line.length) {
        const next = line[i + 1]!;
        const hex = /^x([0-9a-f]{2})$/i.exec(line.slice(i + 1, i + 4));
        if (hex) {
          word += String.fromCharCode(parseInt(hex[1]!, 16));
          i += 4;
        } else {
          word += ESCAPES[next] ?? next;
          i += 2;
        }
        continue;
      }
      if (quote === "'" && char === '\\' && line[i + 1] === "'") {
        word += "'";
        i += 2;
        continue;
      }
      word += char;
      i++;
    }
    words.push(word);
  }
}

/**
 * Settings from config text (the server's config-contents), each checked
 * against the allow-list; a refusal names `field` and the line.
 */
export function parseConfigText(text: string, field: string): Setting[] {
  const settings: Setting[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const words = splitArguments(line);
    if (!words || words.length === 0) throw ManagerError.invalidArgument(field, `line ${index + 1}: unbalanced quotes`);
    const [key, ...values] = words as [string, ...string[]];
    try {
      settings.push(checkSetting(field, key, { tag: 'text', val: values.join(' ') }));
    } catch (error) {
      if (error instanceof ManagerError && error.value.tag === 'invalid-argument') {
        throw ManagerError.invalidArgument(field, `line ${index + 1}: ${error.value.val.message}`);
      }
      throw error;
    }
  });
  return settings;
}

/** Settings as config lines, each value quoted so that one with spaces stays one value. */
export function renderSettings(header: string, settings: readonly Setting[]): string {
  const lines = settings.map(({ key, value }) => `${key} "${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`);
  return [`# ${header}`, ...lines, ''].join('\n');
}

/** `current` with `changes` set (or, with `remove`, dropped), keeping the order keys first appeared in. */
export function mergeSettings(current: readonly Setting[], changes: readonly Setting[], remove: boolean): Setting[] {
  const merged = new Map(current.map((s) => [s.key, s.value]));
  for (const change of changes) {
    if (remove) merged.delete(change.key);
    else merged.set(change.key, change.value);
  }
  return [...merged].map(([key, value]) => ({ key, value }));
}

/** The value the files give `key` (the last one wins, as in Redis), if any. */
export function lastValue(settings: readonly Setting[], key: string): string | undefined {
  const normal = settingKey(key);
  return settings.filter((s) => s.key === normal).at(-1)?.value;
}
