import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LOG_NAME } from '../../guest-logs/publication-store.js';
import type { GuestLogService } from '../../guest-logs/guest-log-service.js';
import type { ProjectAuth } from '../auth.js';

const params = z.object({ project: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), id: z.string().uuid() });
// Trove's apischema guest_log: name a non-empty string, each action 0 or 1
const flag = z.number().int().min(0).max(1).optional();
const actionBody = z.strictObject({ name: z.string().min(1).max(255), enable: flag, disable: flag, publish: flag, discard: flag });
const logView = z.object({
  name: z.string(),
  type: z.enum(['USER', 'SYS']),
  status: z.string(),
  published: z.number(),
  pending: z.number(),
  container: z.string(),
  prefix: z.string(),
  metafile: z.string(),
});
const contentParams = params.extend({ name: z.string().regex(LOG_NAME, 'must be a log name as the instance lists it') });
const contentQuery = z.object({ publication: z.coerce.number().int().positive().optional() });

/**
 * Trove's guest logs (`trove log-list`, `openstack database log list|show|set`):
 * GET and POST /v1.0/{project}/instances/{id}/log. Berth's own
 * GET .../log/{name}/content answers a publication's bytes, which Trove's
 * clients read from Swift instead.
 */
export function guestLogRoutes(service: GuestLogService, auth: ProjectAuth): FastifyPluginAsyncZod {
  return async (app) => {
    const base = '/v1.0/:project/instances/:id/log';
    app.get(base, { schema: { tags: ['guest logs'], params, response: { 200: z.object({ logs: z.array(logView) }) } } }, async (request) => {
      const project = auth.authorize(request, request.params.project);
      return { logs: await service.list(project, request.params.id) };
    });
    app.post(base, { schema: { tags: ['guest logs'], params, body: actionBody, response: { 200: z.object({ log: logView }) } } }, async (request) => {
      const project = auth.authorize(request, request.params.project);
      return { log: await service.action(project, request.params.id, request.body) };
    });
    app.get(`${base}/:name/content`, { schema: { tags: ['guest logs'], params: contentParams, querystring: contentQuery } }, async (request, reply) => {
      const project = auth.authorize(request, request.params.project);
      const { publication, data } = await service.content(project, request.params.id, request.params.name, request.query.publication);
      return reply
        .header('content-type', 'text/plain; charset=utf-8')
        .header('x-berth-publication', String(publication.id))
        .header('x-berth-publication-range', `${publication.from}-${publication.to}`)
        .header('x-berth-publication-partial', String(publication.partial))
        .header('x-berth-publication-created', publication.createdAt)
        .send(data);
    });
  };
}
