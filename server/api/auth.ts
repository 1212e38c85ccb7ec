import { sha256 } from '../../datastores/toolchain/digest.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BerthError } from '../errors/berth-error.js';

export function tokenDigest(token: string): string {
  return sha256(token);
}

/**
 * Bearer tokens mapped to projects. Only digests are kept, so the config
 * and the database never hold a usable token.
 */
export class ProjectAuth {
  private readonly projectByDigest = new Map<string, string>();

  constructor(projects: ReadonlyArray<{ name: string; tokens_sha256: readonly string[] }>) {
    for (const project of projects) for (const digest of project.tokens_sha256) this.projectByDigest.set(digest, project.name);
  }

  /** The project the request's token belongs to; it must be the project in the path. */
  authorize(request: FastifyRequest, pathProject: string): string {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new BerthError('BERTH_ERR_UNAUTHORIZED', 'no bearer token', 'send Authorization: Bearer <token>');
    const project = this.projectByDigest.get(tokenDigest(match[1]!));
    if (!project) throw new BerthError('BERTH_ERR_UNAUTHORIZED', 'the bearer token is not valid', 'use a token issued for your project');
    if (project !== pathProject) {
      throw new BerthError('BERTH_ERR_FORBIDDEN', `the token belongs to another project than ${pathProject}`, `use /v1.0/${project}/... or a token of ${pathProject}`);
    }
    return project;
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
