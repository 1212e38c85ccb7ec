import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { BerthError } from '../../server/errors/berth-error.js';
import { guestConfigSchema, type GuestConfig } from './guest-config.js';

const FIXES: Record<string, string> = {
  invalid_type: 'give the value the type shown',
  unrecognized_keys: 'remove it, or check its spelling against docs/guest-config.md',
  too_small: 'give a longer or larger value',
  invalid_format: 'use the format shown',
  invalid_value: 'use one of the values shown',
};

function keyOf(path: ReadonlyArray<PropertyKey>): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`)).join('') || '(top level)';
}

function explain(file: string, error: z.ZodError): BerthError {
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

/** Paths the config names must exist before the host touches anything. */
function checkPaths(file: string, config: GuestConfig): void {
  const problems: string[] = [];
  const expect = (key: string, path: string, kind: 'file' | 'directory') => {
    try {
      const stat = statSync(path);
      if (kind === 'file' ? !stat.isFile() : !stat.isDirectory()) problems.push(`${file}: ${key}: ${path} is not a ${kind}`);
    } catch {
      problems.push(`${file}: ${key}: ${path} does not exist`);
    }
  };
  expect('manager.path', config.manager.path, 'file');
  if (config.guest.ca_file) expect('guest.ca_file', config.guest.ca_file, 'file');
  config.grants.directories.forEach((grant, index) => expect(`grants.directories[${index}].host`, grant.host, 'directory'));
  config.grants.programs.forEach((program, index) => expect(`grants.programs[${index}]`, program, 'file'));
  if (problems.length > 0) {
    throw new BerthError('BERTH_ERR_CONFIG_INVALID', problems.join('\n'), 'create the path or correct it in the config');
  }
}

/** Read, parse and validate a guest config file into the one typed config. */
export function loadGuestConfig(file: string): GuestConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BerthError(
      'BERTH_ERR_CONFIG_NOT_FOUND',
      `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      'pass the guest config with --config /etc/berth/guest.toml',
    );
  }
  const parsed = guestConfigSchema.safeParse(parseText(file, text));
  if (!parsed.success) throw explain(file, parsed.error);
  checkPaths(file, parsed.data);
  return parsed.data;
}
