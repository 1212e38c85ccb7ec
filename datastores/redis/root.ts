import type { RootCredentials } from 'berth:datastore/root@0.2.0';
import { ManagerError } from '../sdk/index.js';
import { command, pairs } from './admin-connection.js';
import type { RedisContext } from './options.js';
import { passwordRule, ROOT_USER } from './server-config.js';

/**
 * Root is Redis's `default` user, the one requirepass protects: with no
 * password anyone on the host may use it, with one they must AUTH. Changes go
 * through ACL SETUSER and ACL SAVE, which writes users.acl (the server's
 * aclfile), so a restart keeps them.
 */
function setRootPassword(ctx: RedisContext, rule: string): void {
  command(ctx, 'ACL', 'SETUSER', ROOT_USER, 'on', 'resetpass', rule);
  command(ctx, 'ACL', 'SAVE');
}

/** Redis's own generator (ACL GENPASS reads /dev/urandom): the component has no entropy source to vouch for. */
function generatePassword(ctx: RedisContext): string {
  const length = ctx.options.default_password_length;
  return String(command(ctx, 'ACL', 'GENPASS', length * 4)).slice(0, length);
}

export function enableRoot(ctx: RedisContext, password: string | undefined): RootCredentials {
  if (password === '') throw ManagerError.invalidArgument('password', 'must not be empty; omit it to have one generated');
  const chosen = password ?? generatePassword(ctx);
  setRootPassword(ctx, passwordRule(chosen));
  return { name: ROOT_USER, password: chosen };
}

export function disableRoot(ctx: RedisContext): void {
  setRootPassword(ctx, 'nopass');
}

export function isRootEnabled(ctx: RedisContext): boolean {
  const user = pairs(command(ctx, 'ACL', 'GETUSER', ROOT_USER));
  const flags = user.get('flags');
  const passwords = user.get('passwords');
  return Array.isArray(flags) && flags.includes('on') && !flags.includes('nopass') && Array.isArray(passwords) && passwords.length > 0;
}
