import { LOGIN_REFUSED, LoginRefused, scopedProject, type PasswordLogin } from './password-login.js';

/** What the token method needs of the server's tokens. */
export interface TokenOwners {
  ownerOf(token: string): { project: string; expiresAt?: number } | undefined;
}

/**
 * Keystone's token method: a valid token (a configured project token, or
 * one this endpoint issued) is exchanged for a new token of the same
 * project, expiring no later than the one presented. Berth's tokens each
 * belong to one project, so there is nothing to rescope to: any other
 * project is refused. The `trove` CLI's --os-auth-token takes this path.
 */
export function tokenLogin(owners: TokenOwners, login: PasswordLogin): { user: string; project: string; notAfter?: number } {
  const presented = login.auth.identity.token?.id;
  if (presented === undefined) {
    throw new LoginRefused(401, 'The token method needs the token: identity.token.id.');
  }
  const owner = owners.ownerOf(presented);
  if (!owner || owner.project !== scopedProject(login)) throw new LoginRefused(401, LOGIN_REFUSED);
  // a project token stands for the project, not for a person
  return { user: `${owner.project}-token`, project: owner.project, notAfter: owner.expiresAt };
}
