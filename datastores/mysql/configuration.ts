import { CapabilityError, checkOverrides, ManagerError } from '../sdk/index.js';
import { PARAMETERS } from './parameters.js';
import { paths, type MyContext } from './options.js';
import { isRunning } from './server.js';
import { query } from './sql.js';

type ConfigValue = { tag: 'text'; val: string } | { tag: 'integer'; val: bigint | number } | { tag: 'float'; val: number } | { tag: 'boolean'; val: boolean };
type Override = { key: string; value: ConfigValue };

const KEY = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const LINE = /^([A-Za-z][A-Za-z0-9_-]*)\s*(?:=\s*(.*))?$/;
/** What my.cnf pins: the grants, the connection and the probe depend on them. */
const MANAGED = new Set(['port', 'bind_address', 'datadir', 'socket', 'pid_file', 'log_error', 'skip_name_resolve', 'user', 'basedir', 'init_file', 'skip_networking', 'skip_grant_tables',
  // replication's: the binary log, the instance's server_id and its role (replication-options.ts)
  'server_id', 'log_bin', 'log_slave_updates', 'binlog_format', 'log_bin_trust_function_creators', 'relay_log', 'read_only', 'skip_slave_start',
]);

const normalise = (key: string) => key.toLowerCase().replace(/-/g, '_');

/** Every option mariadbd accepts, from its own help (the server need not run). */
function serverOptions(ctx: MyContext): Set<string> {
  const lines = ctx.exec.check('mariadbd', ['--no-defaults', '--verbose', '--help'], { timeoutMs: 60_000 }).stdout.split('\n');
  const header = lines.findIndex((line) => line.startsWith('Variables (--variable-name=value)'));
  if (header === -1) throw ManagerError.failed('mariadbd --verbose --help printed no option table');
  const options = new Set<string>();
  // the header's second line and a row of dashes, then one option per line until a blank one
  for (const line of lines.slice(header + 3)) {
    if (line.trim() === '') break;
    options.add(normalise(line.split(/\s+/)[0]!));
  }
  return options;
}

/** Every key must be an option this server knows and not one the manager owns; the error names the first that is not. */
function checkKeys(ctx: MyContext, keys: readonly string[]): void {
  if (keys.length === 0) return;
  for (const key of keys) if (!KEY.test(key)) throw ManagerError.invalidArgument(key, `${key} is not an option name`);
  const known = serverOptions(ctx);
  for (const key of keys) {
    if (!known.has(normalise(key))) throw ManagerError.invalidArgument(key, `${key} is not a MariaDB server option`);
    if (MANAGED.has(normalise(key))) throw ManagerError.invalidArgument(key, `${key} is set by the manager`);
  }
}

/** A value as an option file takes it: bare when safe, double-quoted otherwise. */
function render(key: string, value: ConfigValue): string {
  switch (value.tag) {
    case 'boolean':
      return value.val ? 'ON' : 'OFF';
    case 'integer':
    case 'float':
      return String(value.val);
    case 'text':
      if (/[\n\r\0]/.test(value.val)) throw ManagerError.invalidArgument(key, 'a value must be one line');
      return /^[A-Za-z0-9_.,:/+@%*-]+$/.test(value.val) ? value.val : `"${value.val.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  }
}

/** `key = value` lines of an option file (sections and comments skipped); a bare `key` is a flag. */
export function parseOptionText(text: string, field: string): Map<string, string | undefined> {
  const entries = new Map<string, string | undefined>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || /^\[[^\]]+\]$/.test(line)) continue;
    if (line.startsWith('!')) throw ManagerError.invalidArgument(field, `includes are not allowed: ${line}`);
    const match = LINE.exec(line);
    if (!match) throw ManagerError.invalidArgument(field, `not a "key = value" line: ${line}`);
    entries.set(normalise(match[1]!), match[2]?.trim());
  }
  return entries;
}

function readOptions(ctx: MyContext, path: string): Map<string, string | undefined> {
  return ctx.files.exists(path) ? parseOptionText(ctx.files.readText(path), path) : new Map();
}

function writeOptions(ctx: MyContext, path: string, header: string, entries: Map<string, string | undefined>): void {
  const lines = [`# ${header}`, '[mysqld]', ...[...entries].map(([key, value]) => (value === undefined ? key : `${key} = ${value}`)), ''];
  ctx.files.writeText(path, lines.join('\n'));
}

const OVERRIDES_HEADER = 'Configuration overrides, managed by Berth (update-overrides / apply-overrides).';
const CONFIGURATION_HEADER = 'Configuration, managed by Berth (reset-configuration / start-db-with-conf-changes).';

/** Persist overrides (or remove them) in conf.d/berth-overrides.cnf; they apply at the next start or apply-overrides. */
export function updateOverrides(ctx: MyContext, overrides: readonly Override[], remove: boolean): void {
  if (remove) {
    for (const { key } of overrides) if (!KEY.test(key)) throw ManagerError.invalidArgument(key, `${key} is not an option name`);
  } else {
    checkKeys(ctx, overrides.map((o) => o.key));
    checkOverrides(PARAMETERS, overrides, 'MySQL', normalise);
  }
  persistOverrides(ctx, overrides, remove);
}

function persistOverrides(ctx: MyContext, overrides: readonly Override[], remove: boolean): void {
  const entries = readOptions(ctx, paths(ctx).overridesConf);
  for (const override of overrides) {
    if (remove) entries.delete(normalise(override.key));
    else entries.set(normalise(override.key), render(override.key, override.value));
  }
  writeOptions(ctx, paths(ctx).overridesConf, OVERRIDES_HEADER, entries);
}

/** Can SET GLOBAL change it? undefined when the server does not say (no information_schema.SYSTEM_VARIABLES: MySQL). */
function isDynamic(ctx: MyContext, key: string): boolean | undefined {
  try {
    const row = query(ctx, 'SELECT READ_ONLY AS ro FROM information_schema.SYSTEM_VARIABLES WHERE VARIABLE_NAME = ?', [normalise(key).toUpperCase()]).rows[0];
    // an option that is no system variable (a startup flag) applies at a restart only
    return row !== undefined && String(row.ro) === 'NO';
  } catch (error) {
    if (error instanceof CapabilityError && error.value.tag === 'database') return undefined;
    throw error;
  }
}

function sqlValue(value: ConfigValue): string | number | bigint {
  if (value.tag === 'boolean') return value.val ? 'ON' : 'OFF';
  return value.val;
}

/**
 * SET GLOBAL what can change live, then persist everything; a setting only a
 * restart applies makes the probe say RESTART_REQUIRED until the next start.
 */
export function applyOverrides(ctx: MyContext, overrides: readonly Override[]): void {
  checkKeys(ctx, overrides.map((o) => o.key));
  if (!isRunning(ctx)) throw ManagerError.unavailable('MariaDB is not running: update-overrides persists overrides for the next start');
  let restart = false;
  for (const override of overrides) {
    const dynamic = isDynamic(ctx, override.key);
    if (dynamic === false) {
      restart = true;
      continue;
    }
    try {
      query(ctx, `SET GLOBAL ${normalise(override.key)} = ?`, [sqlValue(override.value)]);
    } catch (error) {
      if (!(error instanceof CapabilityError && error.value.tag === 'database')) throw error;
      if (dynamic === undefined && /read.only/i.test(error.value.val.message)) restart = true;
      else throw ManagerError.invalidArgument(override.key, error.value.val.message);
    }
  }
  persistOverrides(ctx, overrides, false);
  if (restart) ctx.files.writeText(paths(ctx).restartRequired, 'apply-overrides changed settings only a restart applies\n');
}

/** Write a whole configuration (option-file text) under the overrides; it applies at the next start. */
export function writeConfiguration(ctx: MyContext, contents: string): void {
  const entries = parseOptionText(contents, 'config_contents');
  checkKeys(ctx, [...entries.keys()]);
  writeOptions(ctx, paths(ctx).configurationConf, CONFIGURATION_HEADER, entries);
}

/** reset-configuration: the new configuration waits for a restart, and the probe says so. */
export function resetConfiguration(ctx: MyContext, contents: string): void {
  writeConfiguration(ctx, contents);
  if (isRunning(ctx)) ctx.files.writeText(paths(ctx).restartRequired, 'reset-configuration wrote a configuration only a restart applies\n');
}

/** prepare's overrides, before the first start. */
export function writeInitialOverrides(ctx: MyContext, overrides: readonly Override[]): void {
  if (overrides.length > 0) updateOverrides(ctx, overrides, false);
}
