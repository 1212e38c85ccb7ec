import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';

/** A guest config file's text with its [manager] pinned to another build. */
export function withManager(toml: string, manager: { path: string; sha256: string }): string {
  const config = parseToml(toml) as { manager?: Record<string, unknown> };
  config.manager = { ...config.manager, path: manager.path, sha256: manager.sha256 };
  const header = toml.startsWith('#') ? `${toml.slice(0, toml.indexOf('\n') + 1)}` : '';
  return `${header}${stringifyToml(config)}`;
}
