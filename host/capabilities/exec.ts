import { spawnSync, type SpawnSyncOptionsWithBufferEncoding } from 'node:child_process';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type * as Exec from '../generated/interfaces/berth-datastore-exec.js';
import type { KeyValue } from '../generated/interfaces/berth-datastore-types.js';
import { capabilityFailure, type DenialReporter } from './failure.js';

export interface ExecGrant {
  /** Absolute paths from the guest config. */
  programs: readonly string[];
  /** Given to every program. */
  environment: Readonly<Record<string, string>>;
  /** The manager's directories, to map a guest cwd to a host one. */
  directories: readonly { hostPath: string; guestPath: string }[];
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  /** Most bytes kept of stdout, and of stderr. */
  outputLimitBytes: number;
}

interface GrantedProgram {
  /** As written in the grant: the only absolute path a manager may ask for. */
  granted: string;
  /** Resolved once, so repointing a symlink later cannot redirect execution; undefined = not runnable. */
  real: string | undefined;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_TIMER_MS = 2 ** 31 - 1; // larger timeouts make spawnSync throw

/**
 * berth:datastore/exec over the programs a guest config allow-lists. A
 * program is run directly (never through a shell) with only the granted
 * environment plus the variables the manager adds, which may not override
 * granted ones: the operator's values (PGHOST, a PATH) are what the grant
 * promises. Output beyond the cap makes spawnSync kill the program (ENOBUFS):
 * the run ends early with the output kept so far and `truncated`.
 */
export function createExec(grant: ExecGrant, onDenied?: DenialReporter): typeof Exec {
  const programs: GrantedProgram[] = [...new Set(grant.programs)].map((granted) => ({ granted, real: runnable(granted) }));

  const deny = (what: string, why: string): never => {
    const message = `${what}: ${why}`;
    onDenied?.('exec', message);
    throw capabilityFailure({ tag: 'denied', val: message });
  };
  const invalid = (message: string): never => {
    throw capabilityFailure({ tag: 'invalid', val: message });
  };

  function choose(program: string): GrantedProgram & { real: string } {
    if (program === '' || program.includes('\0')) return invalid(`program ${JSON.stringify(program)}: not a file name or an absolute path`);
    // No normalisation: anything but the exact granted text could be steered by a symlink or a '..'.
    const matches = program.includes('/')
      ? programs.filter((p) => p.granted === program)
      : programs.filter((p) => basename(p.granted) === program);
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

  function environment(added: readonly KeyValue[]): Record<string, string> {
    const env = new Map(Object.entries(grant.environment));
    for (const { key, value } of added) {
      if (!VARIABLE_NAME.test(key)) invalid(`environment variable ${JSON.stringify(key)}: names are letters, digits and _, not starting with a digit`);
      if (value.includes('\0')) invalid(`environment variable ${key}: its value contains a NUL byte`);
      if (Object.hasOwn(grant.environment, key)) invalid(`environment variable ${key}: set by the grant, it may not be overridden`);
      if (env.has(key)) invalid(`environment variable ${key}: given twice`);
      // The dynamic loader would run any library the manager wrote into a granted directory inside an allowed program.
      if (key.startsWith('LD_')) deny(`environment variable ${key}`, 'loader variables may only come from the grant');
      env.set(key, value);
    }
    return Object.fromEntries(env);
  }

  function workingDirectory(cwd: string | undefined): string {
    if (cwd === undefined) return '/';
    const segments = cwd.split('/').filter((s) => s !== '' && s !== '.');
    if (!cwd.startsWith('/') || cwd.includes('\0') || segments.includes('..')) {
      return invalid(`cwd ${JSON.stringify(cwd)}: must be an absolute guest path without '..'`);
    }
    let best: { hostPath: string; depth: number } | undefined;
    for (const directory of grant.directories) {
      const base = directory.guestPath.split('/').filter((s) => s !== '' && s !== '.');
      if (base.length > segments.length || base.some((s, i) => s !== segments[i])) continue;
      if (!best || base.length > best.depth) best = { hostPath: directory.hostPath, depth: base.length };
    }
    if (!best) return deny(`cwd ${cwd}`, 'outside every granted directory');
    let real: string;
    let root: string;
    try {
      real = realpathSync(join(best.hostPath, ...segments.slice(best.depth)));
      root = realpathSync(best.hostPath);
      if (!statSync(real).isDirectory()) throw new Error('not a directory');
    } catch {
      // Checked here because spawnSync reports a missing cwd as ENOENT, like a missing program.
      return invalid(`cwd ${cwd}: not an existing directory`);
    }
    const inside = relative(root, real);
    if (inside === '..' || inside.startsWith('../')) return deny(`cwd ${cwd}`, 'a symlink leads out of its granted directory');
    return real;
  }

  function timeout(requested: number | undefined): number {
    if (requested === 0) invalid('timeout-ms: must be at least 1 (spawnSync reads 0 as no timeout)');
    return Math.max(1, Math.min(Math.ceil(Math.min(requested ?? grant.defaultTimeoutMs, grant.maxTimeoutMs)), MAX_TIMER_MS));
  }

  return {
    run(command) {
      const program = choose(command.program);
      if (command.args.some((arg) => arg.includes('\0'))) invalid(`program ${command.program}: an argument contains a NUL byte`);
      const env = environment(command.env);
      const cwd = workingDirectory(command.cwd);
      const limit = grant.outputLimitBytes;
      const options: SpawnSyncOptionsWithBufferEncoding & { detached: boolean } = {
        // Multi-call programs (Debian's pg_wrapper, busybox) dispatch on the name they were started by.
        argv0: program.granted,
        cwd,
        env,
        input: command.stdin ?? new Uint8Array(0),
        timeout: timeout(command.timeoutMs),
        killSignal: 'SIGKILL',
        maxBuffer: limit,
        shell: false,
        stdio: 'pipe',
        // Its own process group, so that a kill also reaches what it started (a shell's children).
        // spawnSync honours it although @types/node leaves it out.
        detached: true,
        windowsHide: true,
      };
      const result = spawnSync(program.real, command.args, options);
      const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
      const timedOut = code === 'ETIMEDOUT';
      const overflowed = code === 'ENOBUFS';
      if (timedOut || overflowed) killGroup(result.pid);
      // EPIPE only means the program exited without reading all of its stdin.
      if (result.error && !timedOut && !overflowed && code !== 'EPIPE') {
        throw capabilityFailure({ tag: 'failed', val: `program ${command.program}: could not run ${program.real}: ${result.error.message}` });
      }
      // spawnSync keeps the whole chunk that crossed maxBuffer: cut it back to the cap.
      const stdout = capped(result.stdout, limit);
      const stderr = capped(result.stderr, limit);
      return {
        exitCode: result.status ?? undefined,
        signal: result.signal ?? undefined,
        stdout,
        stderr,
        timedOut,
        truncated: overflowed || stdout.length < (result.stdout?.length ?? 0) || stderr.length < (result.stderr?.length ?? 0),
      };
    },
  };
}

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

function capped(output: Buffer | null | undefined, limit: number): Uint8Array {
  return output ? new Uint8Array(output.subarray(0, limit)) : new Uint8Array(0);
}

function killGroup(pid: number | undefined): void {
  // pid 0 would be the host's own process group.
  if (!pid || pid <= 0) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}
