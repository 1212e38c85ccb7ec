import { checkOverrides, ManagerError } from '../sdk/index.js';
import { paths, type PgContext } from './options.js';
import { PARAMETERS } from './parameters.js';
import { literal, query } from './sql.js';

type ConfigValue = { tag: 'text'; val: string } | { tag: 'integer'; val: bigint | number } | { tag: 'float'; val: number } | { tag: 'boolean'; val: boolean };

const KEY = /^[a-z_][a-z0-9_.]{0,62}$/;

function render(value: ConfigValue): string {
  switch (value.tag) {
    case 'text':
      return literal(value.val, 'value');
    case 'boolean':
      return value.val ? 'on' : 'off';
    default:
      return String(value.val);
  }
}

function readOverrides(ctx: PgContext): Map<string, string> {
  const file = paths(ctx).overridesConf;
  const entries = new Map<string, string>();
  if (!ctx.files.exists(file)) return entries;
  for (const line of ctx.files.readText(file).split('\n')) {
    const match = /^([a-z_][a-z0-9_.]*)\s*=\s*(.*)$/.exec(line.trim());
    if (match) entries.set(match[1]!, match[2]!);
  }
  return entries;
}

function writeOverrides(ctx: PgContext, entries: Map<string, string>): void {
  const lines = ['# Configuration overrides, managed by Berth (update-overrides / reset-configuration).', ...[...entries].map(([key, value]) => `${key} = ${value}`), ''];
  ctx.files.writeText(paths(ctx).overridesConf, lines.join('\n'));
}

/** Every key must be a setting this server knows; the error names the first that is not. */
function checkKeys(ctx: PgContext, keys: readonly string[]): void {
  for (const key of keys) {
    if (!KEY.test(key) || query(ctx, 'SELECT 1 FROM pg_settings WHERE name = $1', [key]).rows.length === 0) {
      throw ManagerError.invalidArgument(key, `${key} is not a PostgreSQL setting`);
    }
  }
}

/** Persist overrides (or remove them) in berth-overrides.conf; they apply at the next start or apply-overrides. */
export function updateOverrides(ctx: PgContext, overrides: ReadonlyArray<{ key: string; value: ConfigValue }>, remove: boolean): void {
  checkKeys(ctx, overrides.map((o) => o.key));
  if (!remove) checkOverrides(PARAMETERS, overrides, 'PostgreSQL');
  const entries = readOverrides(ctx);
  for (const override of overrides) {
    if (remove) entries.delete(override.key);
    else entries.set(override.key, render(override.value));
  }
  writeOverrides(ctx, entries);
}

/** Persist and reload: settings that need a restart say so in pg_settings (pending_restart). */
export function applyOverrides(ctx: PgContext, overrides: ReadonlyArray<{ key: string; value: ConfigValue }>): void {
  updateOverrides(ctx, overrides, false);
  query(ctx, 'SELECT pg_reload_conf()');
}

/** Does one of these settings take effect only at a server start (max_connections, shared_buffers...)? Read from pg_settings, not from a reload that has not happened yet. */
export function needsStart(ctx: PgContext, keys: readonly string[]): boolean {
  if (keys.length === 0) return false;
  return query(ctx, "SELECT 1 FROM pg_settings WHERE context = 'postmaster' AND name = ANY(string_to_array($1, ',')) LIMIT 1", [keys.join(',')]).rows.length > 0;
}

/** Replace every override with the given configuration text (key = value lines). */
export function resetConfiguration(ctx: PgContext, contents: string): void {
  const entries = new Map<string, string>();
  for (const line of contents.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const match = /^([a-z_][a-z0-9_.]*)\s*=\s*(.+)$/.exec(trimmed);
    if (!match) throw ManagerError.invalidArgument('config_contents', `not a "key = value" line: ${trimmed}`);
    entries.set(match[1]!, match[2]!);
  }
  checkKeys(ctx, [...entries.keys()]);
  writeOverrides(ctx, entries);
  query(ctx, 'SELECT pg_reload_conf()');
}
