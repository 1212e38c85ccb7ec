import type { FastifyInstance } from 'fastify';
import swaggerUi from '@fastify/swagger-ui';

/**
 * The OpenAPI UI at `prefix`. @fastify/swagger-ui 6.1 redirects
 * `{prefix}/static/index.html` by rewriting the URL with a pattern anchored at
 * its end, so the same path with a query string redirects to itself forever
 * (found by the REST fuzz test). That path is answered here first, with a
 * redirect to the UI that drops the query.
 */
export async function registerDocsUi(app: FastifyInstance, prefix: string): Promise<void> {
  const staticIndex = `${prefix}/static/index.html`;
  // in a scope of its own, so the check runs for the UI's routes only, not for every API request
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      const path = request.url.split('?', 1)[0];
      if (path === staticIndex && request.url !== path) return reply.redirect(`${prefix}/`);
    });
    await scope.register(swaggerUi, { routePrefix: prefix });
  });
}
