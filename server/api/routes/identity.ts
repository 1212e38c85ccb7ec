import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { ProjectAuth } from '../auth.js';
import { tokenDocument, versionDocument, versionsDocument } from '../../identity/keystone-views.js';
import { LoginRefused, passwordLogin, passwordLoginSchema, type ConfiguredUser } from '../../identity/password-login.js';
import { tokenLogin } from '../../identity/token-login.js';
import { guardedSafeParse } from '../../../host/validation/guarded-parse.js';

export interface IdentityOptions {
  users: readonly ConfiguredUser[];
  tokenLifetimeMs: number;
}

/** The error body Keystone clients parse: numeric code, the status's title, a message. */
function keystoneError(status: number, message: string) {
  return { error: { code: status, title: STATUS_CODES[status] ?? 'Error', message } };
}

/** This server as the client reached it, so the catalogue names an address the client can use. */
function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/**
 * The least of Keystone v3 the OpenStack clients need to log in with a user
 * name and password, or with a token: version discovery and POST
 * /v3/auth/tokens (password and token methods). The token
 * it issues is an ordinary project token of `auth`. Errors leave in
 * Keystone's shape, not the catalogue's: these routes speak to keystoneauth.
 */
export function identityRoutes(auth: ProjectAuth, options: IdentityOptions) {
  return async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError | LoginRefused, request, reply) => {
      if (error instanceof LoginRefused) return reply.status(error.status).send(keystoneError(error.status, error.message));
      const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status === 500) request.log.error({ err: error }, 'internal error');
      return reply.status(status).send(keystoneError(status, status === 500 ? 'internal error' : error.message));
    });

    const versions = async (request: FastifyRequest) => versionsDocument(baseUrl(request));
    const version = async (request: FastifyRequest) => versionDocument(baseUrl(request));
    for (const path of ['/identity', '/identity/']) app.get(path, { schema: { hide: true } }, versions);
    for (const path of ['/v3', '/v3/']) app.get(path, { schema: { hide: true } }, version);

    app.post('/v3/auth/tokens', { schema: { hide: true } }, async (request, reply) => {
      const parsed = guardedSafeParse(passwordLoginSchema, request.body);
      if (!parsed.success) {
        const where = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
        throw new LoginRefused(400, `Expecting a password or token login body: ${where}`);
      }
      const byToken = parsed.data.auth.identity.methods.includes('token') && !parsed.data.auth.identity.methods.includes('password');
      const { user, project, notAfter } = byToken ? tokenLogin(auth, parsed.data) : { ...(await passwordLogin(options.users, parsed.data)), notAfter: undefined };
      const { token, issuedAt, expiresAt } = auth.issue(project, options.tokenLifetimeMs, notAfter);
      return reply
        .status(201)
        .header('x-subject-token', token)
        .send(tokenDocument(baseUrl(request), { user, project, issuedAt, expiresAt, method: byToken ? 'token' : 'password' }));
    });
  };
}
