import { ManagerError, type RunResult } from '../../sdk/index.js';
import { layoutOf, type EtcdContext } from './options.js';

export const ETCDCTL = 'etcdctl';
export const ADMIN_USER = 'berth';

export interface EtcdctlOptions {
  /** Log in as the manager's user `berth` (default); false runs unauthenticated, as an anonymous client would. */
  login?: boolean;
  stdin?: string;
}

/**
 * One etcdctl command against this instance's client port, run in the mount
 * point. The password travels in etcdctl's environment (ETCDCTL_PASSWORD),
 * never on its command line; with auth off etcd ignores it.
 */
export function etcdctl(ctx: EtcdContext, args: readonly string[], options: EtcdctlOptions = {}): RunResult {
  const env: Record<string, string> = options.login === false ? {} : { ETCDCTL_USER: ADMIN_USER, ETCDCTL_PASSWORD: ctx.options.admin_password };
  return ctx.exec.run(ETCDCTL, ['--endpoints', `http://127.0.0.1:${ctx.options.port}`, '--dial-timeout', '2s', ...args], {
    env,
    stdin: options.stdin,
    cwd: layoutOf(ctx).mountPoint,
  });
}

/** The last lines of etcdctl's stderr, for an error message. */
export function tail(result: RunResult): string {
  return (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' | ');
}

/** Like etcdctl, but anything but exit 0 is a `failed` naming the command. */
export function etcdctlCheck(ctx: EtcdContext, args: readonly string[], options: EtcdctlOptions = {}): RunResult {
  const result = etcdctl(ctx, args, options);
  if (result.exitCode !== 0) throw ManagerError.failed(`etcdctl ${args.slice(0, 2).join(' ')} failed: ${tail(result)}`);
  return result;
}

export type Health = 'healthy' | 'down' | 'refused';

/** `endpoint health` as the manager: healthy, nothing answering, or an answer that refuses the manager's login. */
export function health(ctx: EtcdContext): Health {
  const result = etcdctl(ctx, ['endpoint', 'health']);
  if (result.exitCode === 0) return 'healthy';
  return /authentication failed|invalid user ID or password|permission denied/i.test(result.stderr) ? 'refused' : 'down';
}
