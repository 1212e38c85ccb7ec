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

/**
 * Bearer tokens mapped to projects. Only digests are kept, so the config
 * and the database never hold a usable token.
 */
export class ProjectAuth {
  private readonly ownerByDigest = new Map<string, TokenOwner>();

  constructor(
    projects: ReadonlyArray<{ name: string; tokens_sha256: readonly TokenGrant[] }>,
    private readonly now: () => number = Date.now,
  ) {
    for (const project of projects) {
      for (const token of project.tokens_sha256) {
        if (typeof token === 'string') this.ownerByDigest.set(token, { project: project.name });
        else this.ownerByDigest.set(token.sha256, { project: project.name, expiresAt: Date.parse(token.expires_at) });
      }
    }
  }

  /** The project the request's token belongs to; it must be the project in the path. */
  authorize(request: FastifyRequest, pathProject: string): string {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new BerthError('BERTH_ERR_UNAUTHORIZED', 'no bearer token', 'send Authorization: Bearer <token>');
    const owner = this.ownerByDigest.get(tokenDigest(match[1]!));
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
