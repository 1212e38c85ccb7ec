import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ConfigurationService } from '../../configurations/configuration-service.js';
import { configurationValues } from '../../configurations/overrides.js';
import type { ConfigurationRecord } from '../../store/store.js';
import { datastoreVersionId } from '../../registry/stable-ids.js';
import type { ProjectAuth } from '../auth.js';

const project = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const params = z.object({ project, id: z.string().uuid() });
const name = z.string().min(1).max(64);
const description = z.string().max(512);

const createBody = z.strictObject({
  configuration: z.strictObject({
    name,
    description: description.optional(),
    datastore: z.strictObject({ type: z.string().min(1), version: z.string().optional() }),
    values: configurationValues,
  }),
});
// Trove: PUT replaces the values (name and description may change with them), PATCH merges into them
const replaceBody = z.strictObject({ configuration: z.strictObject({ values: configurationValues, name: name.optional(), description: description.optional() }) });
const mergeBody = z.strictObject({ configuration: z.strictObject({ values: configurationValues }) });

const summaryView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  datastore: z.object({ type: z.string(), version: z.string() }),
  /** Trove's names for the datastore, beside Berth's datastore object. */
  datastore_name: z.string(),
  datastore_version_name: z.string(),
  datastore_version_id: z.string(),
  created: z.string(),
  updated: z.string(),
});
const detailView = summaryView.extend({
  values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  instance_count: z.number(),
});

function summary(group: ConfigurationRecord): z.infer<typeof summaryView> {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    datastore: { type: group.datastore, version: group.datastoreVersion },
    datastore_name: group.datastore,
    datastore_version_name: group.datastoreVersion,
    datastore_version_id: datastoreVersionId(group.datastore, group.datastoreVersion),
    created: group.createdAt.toISOString(),
    updated: group.updatedAt.toISOString(),
  };
}

/** /v1.0/{project}/configurations: Trove's configuration groups. Attaching is PUT /instances/{id} (see instance routes). */
export function configurationRoutes(service: ConfigurationService, auth: ProjectAuth): FastifyPluginAsyncZod {
  return async (app) => {
    const base = '/v1.0/:project/configurations';
    const one = z.object({ configuration: detailView });
    const detail = async (projectName: string, group: ConfigurationRecord): Promise<z.infer<typeof one>> => ({
      configuration: { ...summary(group), values: group.values, instance_count: (await service.instancesOf(projectName, group.id)).length },
    });

    app.post(base, { schema: { tags: ['configurations'], params: z.object({ project }), body: createBody, response: { 200: one } } }, async (request) => {
      const projectName = auth.authorize(request, request.params.project);
      return detail(projectName, await service.create(projectName, request.body.configuration));
    });
    app.get(base, { schema: { tags: ['configurations'], params: z.object({ project }), response: { 200: z.object({ configurations: z.array(summaryView) }) } } }, async (request) => {
      const projectName = auth.authorize(request, request.params.project);
      return { configurations: (await service.list(projectName)).map(summary) };
    });
    app.get(`${base}/:id`, { schema: { tags: ['configurations'], params, response: { 200: one } } }, async (request) => {
      const projectName = auth.authorize(request, request.params.project);
      return detail(projectName, await service.get(projectName, request.params.id));
    });
    app.put(`${base}/:id`, { schema: { tags: ['configurations'], params, body: replaceBody } }, async (request, reply) => {
      const projectName = auth.authorize(request, request.params.project);
      await service.change(projectName, request.params.id, request.body.configuration, 'replace');
      return reply.status(202).send();
    });
    app.patch(`${base}/:id`, { schema: { tags: ['configurations'], params, body: mergeBody } }, async (request, reply) => {
      const projectName = auth.authorize(request, request.params.project);
      await service.change(projectName, request.params.id, request.body.configuration, 'merge');
      return reply.status(202).send();
    });
    app.delete(`${base}/:id`, { schema: { tags: ['configurations'], params } }, async (request, reply) => {
      const projectName = auth.authorize(request, request.params.project);
      await service.delete(projectName, request.params.id);
      return reply.status(202).send();
    });
    app.get(
      `${base}/:id/instances`,
      { schema: { tags: ['configurations'], params, response: { 200: z.object({ instances: z.array(z.object({ id: z.string(), name: z.string() })) }) } } },
      async (request) => {
        const projectName = auth.authorize(request, request.params.project);
        return { instances: (await service.instancesOf(projectName, request.params.id)).map((i) => ({ id: i.id, name: i.name })) };
      },
    );
  };
}
