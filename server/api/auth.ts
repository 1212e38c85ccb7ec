import { randomBytes } from 'node:crypto';
import { sha256 } from '../../datastores/toolchain/digest.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BerthError } from '../../datastores/errors/berth-error.js';

export function tokenDigest(token: string): string {
  return sha256(token);
}

/** A project's token as the config gives it: its digest, and when it stops being valid. */
export type TokenGrant = string | { sha256: string; expires_at: string };

interface TokenOwner {
  project: string;
  expiresAt?: number;
}

/** An issued token is forgotten this long after it expired (until then it is refused as expired, not unknown). */
const FORGET_ISSUED_AFTER_MS = 60 * 60 * 1000;
/** Most issued tokens kept at once; past it the oldest is forgotten (its holder logs in again), so logins cannot grow the server. */
export const MAX_ISSUED_TOKENS = 10_000;

/**
 * The token a request carries: `Authorization: Bearer <t>` (Berth's own
 * clients) or `X-Auth-Token: <t>` (every OpenStack client). Both at once
 * must agree; undefined when neither is sent.
 */
export function requestToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const bearer = header === undefined ? undefined : (/^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '');
  const xAuth = request.headers['x-auth-token'];
  const openstack = xAuth === undefined ? undefined : Array.isArray(xAuth) ? '' : xAuth.trim();
  if (bearer !== undefined && openstack !== undefined && bearer !== openstack) return '';
  return bearer ?? openstack;
}

/**
 * Tokens mapped to projects: the config's, and those the identity endpoint
 * issued. Only digests are kept, so the config and the database never hold
 * a usable token.
 */
export class ProjectAuth {
  private readonly ownerByDigest = new Map<string, TokenOwner>();
  /** Digests of the tokens `issue` made, oldest first, so expired ones can be forgotten. */
  private readonly issued: Array<{ digest: string; expiresAt: number }> = [];

  constructor(
    projects: ReadonlyArray<{ name: string; tokens_sha256: readonly TokenGrant[] }>,
    private readonly now: () => number = Date.now,
    private readonly maxIssued = MAX_ISSUED_TOKENS,
  ) {
    for (const project of projects) {
      for (const token of project.tokens_sha256) {
        if (typeof token === 'string') this.ownerByDigest.set(token, { project: project.name });
        else this.ownerByDigest.set(token.sha256, { project: project.name, expiresAt: Date.parse(token.expires_at) });
      }
    }
  }

  /**
   * A new random token of `project`, valid for `lifetimeMs`; it authenticates
   * exactly like a configured one. Kept in memory only: a restarted server
   * forgets it and the client authenticates again.
   */
  issue(project: string, lifetimeMs: number, notAfter?: number): { token: string; issuedAt: number; expiresAt: number } {
    const now = this.now();
    while (this.issued.length > 0 && this.issued[0]!.expiresAt + FORGET_ISSUED_AFTER_MS <= now) {
      this.ownerByDigest.delete(this.issued.shift()!.digest);
    }
    while (this.issued.length >= this.maxIssued) this.ownerByDigest.delete(this.issued.shift()!.digest);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = Math.min(now + lifetimeMs, notAfter ?? Infinity);
    const digest = tokenDigest(token);
    this.ownerByDigest.set(digest, { project, expiresAt });
    this.issued.push({ digest, expiresAt });
    return { token, issuedAt: now, expiresAt };
  }

  /** The project a token belongs to and when it expires; undefined for an unknown or expired token. */
  ownerOf(token: string): { project: string; expiresAt?: number } | undefined {
    const owner = this.ownerByDigest.get(tokenDigest(token));
    if (!owner || (owner.expiresAt !== undefined && this.now() >= owner.expiresAt)) return undefined;
    return { ...owner };
  }

  /** The project the request's token belongs to; it must be the project in the path. */
  authorize(request: FastifyRequest, pathProject: string): string {
    const token = requestToken(request);
    if (!token) throw new BerthError('BERTH_ERR_UNAUTHORIZED', 'no bearer token', 'send Authorization: Bearer <token> or X-Auth-Token: <token> (the same token in both, if both are sent)');
    const owner = this.ownerByDigest.get(tokenDigest(token));
    if (!owner) throw new BerthError('BERTH_ERR_UNAUTHORIZED', 'the bearer token is not valid', 'use a token issued for your project');
    if (owner.expiresAt !== undefined && this.now() >= owner.expiresAt) {
      throw new BerthError('BERTH_ERR_TOKEN_EXPIRED', `the bearer token expired at ${new Date(owner.expiresAt).toISOString()}`, 'ask the operator for a new token of your project');
    }
    if (owner.project !== pathProject) {
      throw new BerthError('BERTH_ERR_FORBIDDEN', `the token belongs to another project than ${pathProject}`, `use /v1.0/${owner.project}/... or a token of ${pathProject}`);
    }
    return owner.project;
  }
}

/**
 * The token of a /v1.0/{project} route is checked first, before the body is
 * read or anything is validated: a caller without a valid token learns
 * nothing, not even which input the route would take. The handlers still
 * call `authorize` for the project name they act on.
 */
export function authorizeFirst(app: FastifyInstance, auth: ProjectAuth): void {
  app.addHook('onRequest', async (request) => {
    const { project } = (request.params ?? {}) as { project?: unknown };
    if (typeof project === 'string') auth.authorize(request, project);
  });
}
