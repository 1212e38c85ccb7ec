import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Flavor, FlavorCatalog } from '../../flavors/flavor-catalog.js';
import type { ProjectAuth } from '../auth.js';
import { links, linksSchema, type LinkRequest } from '../links.js';

const project = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const flavorView = z.object({
  /** Trove gives a number when the id is one, else null and the id in str_id. */
  id: z.number().nullable(),
  str_id: z.string(),
  name: z.string(),
  ram: z.number(),
  vcpus: z.number(),
  disk: z.number(),
  ephemeral: z.number(),
  links: linksSchema,
});

function view(request: LinkRequest, projectName: string, flavor: Flavor): z.infer<typeof flavorView> {
  const numeric = /^[1-9][0-9]{0,15}$/.test(flavor.id);
  return {
    id: numeric ? Number(flavor.id) : null,
    str_id: flavor.id,
    name: flavor.name,
    ram: flavor.ram,
    vcpus: flavor.vcpus,
    disk: flavor.disk,
    ephemeral: 0,
    links: links(request, projectName, 'flavors', flavor.id),
  };
}

/** /v1.0/{project}/flavors: the sizes of the server config, in Trove's shape. */
export function flavorRoutes(flavors: FlavorCatalog, auth: ProjectAuth): FastifyPluginAsyncZod {
  return async (app) => {
    const base = '/v1.0/:project/flavors';
    app.get(base, { schema: { tags: ['flavors'], params: z.object({ project }), response: { 200: z.object({ flavors: z.array(flavorView) }) } } }, async (request) => {
      const projectName = auth.authorize(request, request.params.project);
      return { flavors: flavors.list().map((flavor) => view(request, projectName, flavor)) };
    });
    app.get(`${base}/:id`, { schema: { tags: ['flavors'], params: z.object({ project, id: z.string().max(64) }), response: { 200: z.object({ flavor: flavorView }) } } }, async (request) => {
      const projectName = auth.authorize(request, request.params.project);
      return { flavor: view(request, projectName, flavors.get(request.params.id)) };
    });
  };
}
