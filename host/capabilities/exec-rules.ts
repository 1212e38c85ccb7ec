import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { KeyValue } from '../generated/interfaces/berth-datastore-types.js';
import { hostArguments, refusedArgument } from './exec-arguments.js';
import type { ReplicationSource } from './redis-command-policy.js';
import { ALLOWED_ENVIRONMENT, managerMayAdd } from './exec-environment.js';
import { capabilityFailure, type DenialReporter } from './failure.js';

export interface ExecGrant {
  /** Absolute paths from the guest config. */
  programs: readonly string[];
  /** Given to every program. */
  environment: Readonly<Record<string, string>>;
  /**
   * The manager's directories, to map a guest cwd or log path to a host one.
   * A spawned program's log needs `access: 'read-write'`; absent counts as read-only.
   */
  directories: readonly { hostPath: string; guestPath: string; access?: 'read-only' | 'read-write' }[];
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  /** Most bytes kept of stdout, and of stderr. */
  outputLimitBytes: number;
  /**
   * The servers of the granted connections (host and port): the only ones a
   * client program with an argument policy (mariadb-dump, mariabackup) may be
   * pointed at. Absent: none.
   */
  servers?: readonly { host: string; port: number }[];
  /**
   * The count of running programs, shared by every lane (exec-slots.ts,
   * createProgramTable); without one, this exec counts alone against DEFAULT_SPAWN_LIMIT.
   */
  programTable?: SharedArrayBuffer;
  /**
   * The replication source granted to the running call (the host's record, spec.ts): what
   * redis-server is started to follow, whatever its config file says (hostArguments). Absent: none.
   */
  replicationSource?: () => ReplicationSource | undefined;
}

export interface ChosenProgram {
  /** As written in the grant: the only absolute path a manager may ask for. */
  granted: string;
  /** Resolved once, so repointing a symlink later cannot redirect execution. */
  real: string;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_TIMER_MS = 2 ** 31 - 1; // larger timeouts make spawnSync throw

/**
 * The checks `run` and `spawn` share: which program, which environment,
 * which directory. Every refusal throws the capability error the manager
 * sees; denials are also reported for the operator's log.
 */
export function createExecRules(grant: ExecGrant, onDenied?: DenialReporter) {
  const programs = [...new Set(grant.programs)].map((granted) => ({ granted, real: runnable(granted) }));
  const argumentContext = { servers: grant.servers ?? [], directories: grant.directories.map((directory) => directory.guestPath) };

  const deny = (what: string, why: string): never => {
    const message = `${what}: ${why}`;
    onDenied?.('exec', message);
    throw capabilityFailure({ tag: 'denied', val: message });
  };
  const invalid = (message: string): never => {
    throw capabilityFailure({ tag: 'invalid', val: message });
  };

  function choose(program: string): ChosenProgram {
    if (program === '' || program.includes('\0')) return invalid(`program ${JSON.stringify(program)}: not a file name or an absolute path`);
    // No normalisation: anything but the exact granted text could be steered by a symlink or a '..'.
    const matches = program.includes('/') ? programs.filter((p) => p.granted === program) : programs.filter((p) => basename(p.granted) === program);
    const what = `program ${program}`;
    if (matches.length === 0) {
      return deny(what, program.includes('/') ? 'not granted (run a granted path exactly as the config writes it, or its file name)' : 'no granted program has this name');
    }
    if (new Set(matches.map((p) => p.real)).size > 1) {
      return deny(what, `the name matches several granted programs (${matches.map((p) => p.granted).join(', ')}): use the absolute path`);
    }
    const match = matches[0]!;
    if (match.real === undefined) return deny(what, `the grant points at nothing runnable (${match.granted} is missing or not an executable file)`);
    return { granted: match.granted, real: match.real };
  }

  /** The manager's arguments, checked, with what the host adds to them (exec-arguments.ts, hostArguments): what the program runs with. */
  function checkArguments(program: ChosenProgram, args: readonly string[]): string[] {
    if (args.some((arg) => arg.includes('\0'))) invalid(`program ${program.granted}: an argument contains a NUL byte`);
    const refused = refusedArgument(program.granted, args, argumentContext, program.real);
    if (refused) deny(`program ${program.granted}`, refused);
    return hostArguments(program.granted, args, grant.replicationSource?.(), program.real);
  }

  function environment(added: readonly KeyValue[]): Record<string, string> {
    const env = new Map(Object.entries(grant.environment));
    for (const { key, value } of added) {
      if (!VARIABLE_NAME.test(key)) invalid(`environment variable ${JSON.stringify(key)}: names are letters, digits and _, not starting with a digit`);
      if (value.includes('\0')) invalid(`environment variable ${key}: its value contains a NUL byte`);
      if (Object.hasOwn(grant.environment, key)) invalid(`environment variable ${key}: set by the grant, it may not be overridden`);
      if (env.has(key)) invalid(`environment variable ${key}: given twice`);
      // Loader, plugin and client variables would load code or reach hosts nobody granted (exec-environment.ts).
      if (!managerMayAdd(key)) deny(`environment variable ${key}`, `a manager may add only ${ALLOWED_ENVIRONMENT}; others come from the grant's environment`);
      env.set(key, value);
    }
    return Object.fromEntries(env);
  }

  /** The granted directory holding an absolute guest path, with the host path it maps to. */
  function locate(what: string, path: string): { hostPath: string; root: string; access: 'read-only' | 'read-write' } {
    const segments = path.split('/').filter((s) => s !== '' && s !== '.');
    if (!path.startsWith('/') || path.includes('\0') || segments.includes('..')) {
      return invalid(`${what} ${JSON.stringify(path)}: must be an absolute guest path without '..'`);
    }
    let best: { directory: ExecGrant['directories'][number]; depth: number } | undefined;
    for (const directory of grant.directories) {
      const base = directory.guestPath.split('/').filter((s) => s !== '' && s !== '.');
      if (base.length > segments.length || base.some((s, i) => s !== segments[i])) continue;
      if (!best || base.length > best.depth) best = { directory, depth: base.length };
    }
    if (!best) return deny(`${what} ${path}`, 'outside every granted directory');
    const { directory, depth } = best;
    return { hostPath: join(directory.hostPath, ...segments.slice(depth)), root: directory.hostPath, access: directory.access ?? 'read-only' };
  }

  /** Fails unless `real` (already resolved) lies inside the real path of `root`. */
  function insideRoot(what: string, real: string, root: string): void {
    let realRoot: string;
    try {
      realRoot = realpathSync(root);
    } catch {
      return deny(what, 'its granted directory does not exist on this host');
    }
    const inside = relative(realRoot, real);
    if (inside === '..' || inside.startsWith('../')) deny(what, 'a symlink leads out of its granted directory');
  }

  function workingDirectory(cwd: string | undefined): string {
    if (cwd === undefined) return '/';
    const found = locate('cwd', cwd);
    let real: string;
    try {
      real = realpathSync(found.hostPath);
      if (!statSync(real).isDirectory()) throw new Error('not a directory');
    } catch {
      // Checked here because spawnSync reports a missing cwd as ENOENT, like a missing program.
      return invalid(`cwd ${cwd}: not an existing directory`);
    }
    insideRoot(`cwd ${cwd}`, real, found.root);
    return real;
  }

  /**
   * A file a spawned program may write its output to: inside a read-write
   * grant, in an existing directory reached without leaving the grant. The
   * file itself is opened without following a symlink (see exec-spawn.ts).
   */
  function writableFile(what: string, path: string): string {
    const found = locate(what, path);
    if (found.access !== 'read-write') deny(`${what} ${path}`, 'its directory is granted read-only');
    if (found.hostPath === found.root || path.endsWith('/')) invalid(`${what} ${path}: names a directory, not a file`);
    let parent: string;
    try {
      parent = realpathSync(join(found.hostPath, '..'));
      if (!statSync(parent).isDirectory()) throw new Error('not a directory');
    } catch {
      return invalid(`${what} ${path}: its directory does not exist`);
    }
    insideRoot(`${what} ${path}`, parent, found.root);
    return join(parent, basename(found.hostPath));
  }

  /** The refusal past `host.spawn_limit`: the same for run and spawn, naming the option. */
  function overLimit(program: string, limit: number): never {
    return deny(
      `program ${program}`,
      `host.spawn_limit (${limit}) reached: that many programs of this manager are running (spawned and still alive, or runs in flight); end one first`,
    );
  }

  function timeout(requested: number | undefined): number {
    if (requested === 0) invalid('timeout-ms: must be at least 1 (spawnSync reads 0 as no timeout)');
    return Math.max(1, Math.min(Math.ceil(Math.min(requested ?? grant.defaultTimeoutMs, grant.maxTimeoutMs)), MAX_TIMER_MS));
  }

  return { choose, checkArguments, environment, workingDirectory, writableFile, timeout, overLimit, deny, invalid };
}

export type ExecRules = ReturnType<typeof createExecRules>;

/** The real path of an executable regular file, or undefined: a bad grant denies at run time, never at start. */
function runnable(path: string): string | undefined {
  if (!path.startsWith('/')) return undefined;
  try {
    const real = realpathSync(path);
    if (!statSync(real).isFile()) return undefined;
    accessSync(real, constants.X_OK);
    return real;
  } catch {
    return undefined;
  }
}
