import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BerthError } from '../../../datastores/errors/berth-error.js';
import type { Datastore, DatastoreRegistry, DatastoreVersion } from '../../registry/registry.js';
import type { ProjectAuth } from '../auth.js';
import { links, linksSchema, type LinkRequest } from '../links.js';

const versionView = z.object({
  id: z.string(),
  name: z.string(),
  /** Trove's version number: Berth's version names are the numbers. */
  version: z.string(),
  datastore: z.string(),
  links: linksSchema,
  active: z.boolean(),
  manager_sha256: z.string(),
  tcp_ports: z.array(z.string()),
  udp_ports: z.array(z.string()),
});
const versionSummary = z.object({ id: z.string(), name: z.string(), version: z.string(), links: linksSchema, active: z.boolean() });
const datastoreView = z.object({
  id: z.string(),
  name: z.string(),
  links: linksSchema,
  /** Trove's: the default version's id. */
  default_version: z.string(),
  versions: z.array(versionSummary),
});

const ports = (ranges: DatastoreVersion['server']['tcp_ports']) => ranges.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`));

function versionOf(v: DatastoreVersion, request: LinkRequest, project: string): z.infer<typeof versionView> {
  return {
    id: v.id,
    name: v.name,
    version: v.name,
    datastore: v.datastore,
    links: links(request, project, 'datastores/versions', v.id),
    active: v.active,
    manager_sha256: v.manager.sha256,
    tcp_ports: ports(v.server.tcp_ports),
    udp_ports: ports(v.server.udp_ports),
  };
}

function datastoreOf(d: Datastore, request: LinkRequest, project: string): z.infer<typeof datastoreView> {
  return {
    id: d.id,
    name: d.name,
    links: links(request, project, 'datastores', d.id),
    default_version: d.versions.find((v) => v.name === d.defaultVersion)!.id,
    versions: d.versions.map((v) => ({ id: v.id, name: v.name, version: v.name, links: links(request, project, 'datastores/versions', v.id), active: v.active })),
  };
}

const project = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const NOT_FOUND_FIX = 'GET /v1.0/{project}/datastores lists them';

/**
 * GET /v1.0/{project}/datastores[/{ds}[/versions[/{version}]]] and
 * /datastores/versions/{id}, in Trove's shapes. Datastores and versions are
 * found by name or by id, as Trove finds them.
 */
export function datastoreRoutes(registry: DatastoreRegistry, auth: ProjectAuth): FastifyPluginAsyncZod {
  return async (app) => {
    const find = (name: string) => {
      const datastore = registry.get(name);
      if (!datastore) throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `no datastore ${name}`, NOT_FOUND_FIX);
      return datastore;
    };
    const base = '/v1.0/:project/datastores';
    app.get(base, { schema: { tags: ['datastores'], params: z.object({ project }), response: { 200: z.object({ datastores: z.array(datastoreView) }) } } }, async (request) => {
      const name = auth.authorize(request, request.params.project);
      return { datastores: registry.list().map((d) => datastoreOf(d, request, name)) };
    });
    app.get(`${base}/versions/:id`, { schema: { tags: ['datastores'], params: z.object({ project, id: z.string() }), response: { 200: z.object({ version: versionView }) } } }, async (request) => {
      const name = auth.authorize(request, request.params.project);
      const version = registry.versionById(request.params.id);
      if (!version) throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `no datastore version with id ${request.params.id}`, NOT_FOUND_FIX);
      return { version: versionOf(version, request, name) };
    });
    app.get(`${base}/:datastore`, { schema: { tags: ['datastores'], params: z.object({ project, datastore: z.string() }), response: { 200: z.object({ datastore: datastoreView }) } } }, async (request) => {
      const name = auth.authorize(request, request.params.project);
      return { datastore: datastoreOf(find(request.params.datastore), request, name) };
    });
    app.get(`${base}/:datastore/versions`, { schema: { tags: ['datastores'], params: z.object({ project, datastore: z.string() }), response: { 200: z.object({ versions: z.array(versionView) }) } } }, async (request) => {
      const name = auth.authorize(request, request.params.project);
      return { versions: find(request.params.datastore).versions.map((v) => versionOf(v, request, name)) };
    });
    app.get(
      `${base}/:datastore/versions/:version`,
      { schema: { tags: ['datastores'], params: z.object({ project, datastore: z.string(), version: z.string() }), response: { 200: z.object({ version: versionView }) } } },
      async (request) => {
        const name = auth.authorize(request, request.params.project);
        const datastore = find(request.params.datastore);
        const version = datastore.versions.find((v) => v.name === request.params.version || v.id === request.params.version);
        if (!version) throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `datastore ${datastore.name} has no version ${request.params.version}`, NOT_FOUND_FIX);
        return { version: versionOf(version, request, name) };
      },
    );
  };
}
