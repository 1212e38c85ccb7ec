import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ConfigurationService } from '../../configurations/configuration-service.js';
import type { ProjectAuth } from '../auth.js';

const params = z.object({ project: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), id: z.string().uuid() });
const view = z.object({ instance: z.object({ configuration: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])) }) });

/**
 * GET /v1.0/{project}/instances/{id}/configuration, troveclient's
 * instances.configuration() (`openstack database configuration default`), in
 * Trove's shape {"instance": {"configuration": {key: value}}}: the values the
 * server knows the instance runs with, its attached group's; {} without one.
 */
export function instanceConfigurationRoutes(service: ConfigurationService, auth: ProjectAuth): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/v1.0/:project/instances/:id/configuration', { schema: { tags: ['instances', 'configurations'], params, response: { 200: view } } }, async (request) => {
      const project = auth.authorize(request, request.params.project);
      return { instance: { configuration: await service.effectiveValues(project, request.params.id) } };
    });
  };
}
