import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { runProcess, type CliResult } from './cli.js';

/**
 * The unmodified OpenStack clients from Debian (python3-troveclient and
 * python3-openstackclient), as a Trove user runs them against Berth: the
 * `openstack` CLI with `-f json`, the `trove` CLI, and troveclient as a
 * library over a keystoneauth1 session. A missing client fails the caller:
 * the spawn or the Python import fails.
 */
export interface TroveUser {
  name: string;
  password: string;
  project: string;
}

export interface ClientFailure {
  exception: string;
  http_status: number | null;
  message: string;
}

const LIBRARY = join(PACKAGE_ROOT, 'test', 'support', 'trove-library.py');
const PYTHON = '/usr/bin/python3';

export class TroveClients {
  constructor(
    private readonly url: string,
    private readonly user: TroveUser,
    /** A token of the user's project, for the clients' token login. */
    private readonly token: string,
    private readonly home: string,
  ) {}

  private run(command: string, args: readonly string[]): Promise<CliResult> {
    const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OS_')));
    return runProcess(command, args, { env: { ...base, HOME: this.home, PYTHONWARNINGS: 'ignore' } });
  }

  /** --os-auth-* for a user name and password against Berth's identity endpoint. */
  passwordAuth(): string[] {
    const { name, password, project } = this.user;
    return ['--os-auth-url', `${this.url}/v3`, '--os-username', name, '--os-password', password, '--os-project-name', project, '--os-user-domain-name', 'Default', '--os-project-domain-name', 'Default'];
  }

  /** --os-auth-* for Keystone's token method: the token is exchanged at the identity endpoint. */
  tokenAuth(): string[] {
    return ['--os-auth-type', 'token', '--os-auth-url', `${this.url}/v3`, '--os-token', this.token, '--os-project-name', this.user.project, '--os-project-domain-name', 'Default'];
  }

  /** `openstack <args>`; `-f json` is added when `json` is true. */
  openstack(args: readonly string[], options: { auth?: 'password' | 'token'; json?: boolean } = {}): Promise<CliResult> {
    const auth = options.auth === 'token' ? this.tokenAuth() : this.passwordAuth();
    return this.run('openstack', [...auth, ...args, ...(options.json === false ? [] : ['-f', 'json'])]);
  }

  /** `openstack ... -f json`, parsed; throws with the client's stderr when it fails. */
  async openstackJson<T = any>(args: readonly string[], auth: 'password' | 'token' = 'password'): Promise<T> {
    const run = await this.openstack(args, { auth });
    if (run.code !== 0) throw new Error(`openstack ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  }

  /** `openstack <args>` with no output format, expected to succeed. */
  async openstackOk(args: readonly string[], auth: 'password' | 'token' = 'password'): Promise<string> {
    const run = await this.openstack(args, { auth, json: false });
    if (run.code !== 0) throw new Error(`openstack ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return run.stdout;
  }

  /** The `trove` CLI, by password (troveclient 8's `--os-auth-token` path is broken in the client itself). */
  trove(args: readonly string[]): Promise<CliResult> {
    return this.run('trove', [...this.passwordAuth(), ...args]);
  }

  async troveOk(args: readonly string[]): Promise<string> {
    const run = await this.trove(args);
    if (run.code !== 0) throw new Error(`trove ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return run.stdout;
  }

  /**
   * troveclient's Client over a keystoneauth1 session: `call` is a dotted path such as "instances.create".
   * By password (v3.Password), or by token (v3.Token: the project's token exchanged at the identity endpoint).
   */
  async library(call: string, args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}, auth: 'password' | 'token' = 'password'): Promise<{ ok: true; value: any } | { ok: false; failure: ClientFailure }> {
    const { name, password, project } = this.user;
    const given = auth === 'token' ? { auth_url: `${this.url}/v3`, project, token: this.token } : { auth_url: `${this.url}/v3`, project, user: name, password };
    const run = await this.run(PYTHON, [LIBRARY, JSON.stringify(given), call, JSON.stringify(args), JSON.stringify(kwargs)]);
    if (run.code === 0) return { ok: true, value: JSON.parse(run.stdout) };
    const line = run.stderr.split('\n').find((text) => text.startsWith('{"exception"'));
    if (!line) throw new Error(`${call} failed without an answer (exit ${run.code}): ${run.stderr}`);
    return { ok: false, failure: JSON.parse(line) as ClientFailure };
  }

  async libraryOk(call: string, args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}, auth: 'password' | 'token' = 'password'): Promise<any> {
    const result = await this.library(call, args, kwargs, auth);
    if (!result.ok) throw new Error(`${call} raised ${result.failure.exception} (${result.failure.http_status}): ${result.failure.message}`);
    return result.value;
  }
}

/** A cell of a `trove` CLI table: troveclient 8 prints Python 3 bytes as b'...', so both spellings are read. */
export function troveTableHas(stdout: string, value: string): boolean {
  const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\|\\s*(b')?${escaped}'?\\s*\\|`).test(stdout);
}
