import { spawn, type SpawnOptions } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a program to its end, its output collected; rejects when it cannot be started (not installed). */
export function runProcess(command: string, args: readonly string[], options: Omit<SpawnOptions, 'stdio'>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Run the real `berth` command through npx, as a user would from a clone. */
export function berth(args: readonly string[], options: { cwd?: string } = {}): Promise<CliResult> {
  return runProcess('npx', ['--no-install', 'berth', ...args], { cwd: options.cwd ?? PACKAGE_ROOT, env: { ...process.env, NO_COLOR: '1' } });
}

const BERTH_JS = join(PACKAGE_ROOT, 'dist', 'server', 'cli', 'berth.js');

/**
 * The real `berth` from dist/ with a HOME of its own and only the BERTH_*
 * variables in `env`: the developer's own settings never leak into a test.
 */
export function berthProcess(args: readonly string[], options: { home: string; env?: Record<string, string> }): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('BERTH_')));
  return runProcess(process.execPath, [BERTH_JS, ...args], { cwd: PACKAGE_ROOT, env: { ...base, HOME: options.home, NO_COLOR: '1', ...options.env } });
}

/** The catalogue error a `--json` command reported on stderr. */
export function errorOf(result: CliResult): { code: string; message: string; fix?: string } {
  const line = result.stderr.split('\n').find((text) => text.startsWith('{"error"'));
  if (!line) throw new Error(`no JSON error on stderr:\n${result.stderr}`);
  return (JSON.parse(line) as { error: { code: string; message: string; fix?: string } }).error;
}
