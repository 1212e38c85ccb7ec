import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { guardedSafeParse } from '../validation/guarded-parse.js';

const FIXES: Record<string, string> = {
  invalid_type: 'give the value the type shown',
  unrecognized_keys: 'remove it, or check its spelling against the documentation of this file',
  too_small: 'give a longer or larger value',
  invalid_format: 'use the format shown',
  invalid_value: 'use one of the values shown',
};

function keyOf(path: ReadonlyArray<PropertyKey>): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`)).join('') || '(top level)';
}

/** Every problem (up to eight) as "file: key: message", and a fix for the first. */
export function explainConfigIssues(file: string, error: z.ZodError): BerthError {
  const lines = error.issues.slice(0, 8).map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? ` ${issue.keys.map((k) => `"${k}"`).join(', ')}` : '';
    return `${file}: ${keyOf(issue.path)}${keys}: ${issue.message}`;
  });
  const first = error.issues[0];
  return new BerthError('BERTH_ERR_CONFIG_INVALID', lines.join('\n'), first ? FIXES[first.code] ?? 'correct the value' : undefined);
}

function parseText(file: string, text: string): unknown {
  const json = extname(file) === '.json' || /^\s*\{/.test(text);
  try {
    return json ? JSON.parse(text) : parseToml(text);
  } catch (error) {
    const where = error instanceof TomlError ? ` at line ${error.line}, column ${error.column}` : '';
    throw new BerthError(
      'BERTH_ERR_CONFIG_INVALID',
      `${file}: not valid ${json ? 'JSON' : 'TOML'}${where}: ${(error as Error).message.split('\n')[0]}`,
      'fix the syntax at that position',
    );
  }
}

/** Read a TOML (or JSON) config file and validate it with `schema`: one typed value or one clear error. */
export function readConfigFile<S extends z.ZodType>(file: string, schema: S, hint: string): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BerthError('BERTH_ERR_CONFIG_NOT_FOUND', `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`, hint);
  }
  const parsed = guardedSafeParse(schema, parseText(file, text));
  if (!parsed.success) throw explainConfigIssues(file, parsed.error);
  return parsed.data;
}
