import type { RootCredentials } from 'berth:datastore/root@0.2.0';
import { ManagerError } from '../../sdk/index.js';
import { ADMIN_USER, etcdctl, etcdctlCheck, tail } from './etcdctl.js';
import type { EtcdContext } from './options.js';

export const ROOT_USER = 'root';

/** Whether auth is on: etcd then refuses an anonymous client ("user name is empty"). */
export function isRootEnabled(ctx: EtcdContext): boolean {
  const anonymous = etcdctl(ctx, ['get', '--keys-only', 'berth/root-probe'], { login: false });
  if (anonymous.exitCode === 0) return false;
  if (/user name is empty|permission denied|authentication/i.test(anonymous.stderr)) return true;
  throw ManagerError.unavailable(`etcd did not answer whether auth is on: ${tail(anonymous)}`);
}

function userExists(ctx: EtcdContext, name: string): boolean {
  const found = etcdctl(ctx, ['user', 'get', name]);
  if (found.exitCode === 0) return true;
  if (/user name not found/i.test(found.stderr)) return false;
  throw ManagerError.failed(`etcdctl user get ${name} failed: ${tail(found)}`);
}

/** Create the user or set its password; the password goes on stdin (--interactive=false), never on the command line. */
function setPassword(ctx: EtcdContext, name: string, password: string): void {
  const args = userExists(ctx, name) ? ['user', 'passwd', name, '--interactive=false'] : ['user', 'add', name, '--interactive=false'];
  etcdctlCheck(ctx, args, { stdin: `${password}\n` });
}

/**
 * etcd's root is its user `root`, whose role root may do anything once
 * `auth enable` has turned authentication on. Beside it the manager keeps
 * its own user `berth` (role root, password: the guest option
 * admin_password), which it logs in with from then on.
 */
export function enableRoot(ctx: EtcdContext, password: string | undefined): RootCredentials {
  if (password === undefined || password === '') {
    throw ManagerError.invalidArgument('password', 'pass the root password (Berth\'s server always generates one); a manager has no entropy to make one');
  }
  if (password.includes('\n')) throw ManagerError.invalidArgument('password', 'must be one line');
  const enabled = isRootEnabled(ctx);
  setPassword(ctx, ADMIN_USER, ctx.options.admin_password);
  setPassword(ctx, ROOT_USER, password);
  // both hold the role root before auth is on: the manager logs in as berth from then on
  const role = etcdctl(ctx, ['role', 'get', 'root']);
  if (role.exitCode !== 0) etcdctlCheck(ctx, ['role', 'add', 'root']);
  for (const user of [ADMIN_USER, ROOT_USER]) {
    const roles = etcdctlCheck(ctx, ['user', 'get', user]).stdout;
    if (!/Roles:.*\broot\b/.test(roles)) etcdctlCheck(ctx, ['user', 'grant-role', user, 'root']);
  }
  if (!enabled) etcdctlCheck(ctx, ['auth', 'enable']);
  return { name: ROOT_USER, password };
}

/** Auth off (anyone reaching the port may use etcd again, as before enable-root) and the user root gone with its password. */
export function disableRoot(ctx: EtcdContext): void {
  if (isRootEnabled(ctx)) etcdctlCheck(ctx, ['auth', 'disable']);
  if (userExists(ctx, ROOT_USER)) etcdctlCheck(ctx, ['user', 'delete', ROOT_USER]);
}
