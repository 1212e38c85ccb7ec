import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BerthError } from '../../../datastores/errors/berth-error.js';
import type { DatastoreRegistry, DatastoreVersion } from '../../registry/registry.js';
import type { ProjectAuth } from '../auth.js';

const versionView = z.object({
  id: z.string(),
  name: z.string(),
  datastore: z.string(),
  active: z.boolean(),
  manager_sha256: z.string(),
  tcp_ports: z.array(z.string()),
  udp_ports: z.array(z.string()),
});
const datastoreView = z.object({
  id: z.string(),
  name: z.string(),
  default_version: z.string(),
  versions: z.array(z.object({ id: z.string(), name: z.string(), active: z.boolean() })),
});

const ports = (ranges: DatastoreVersion['server']['tcp_ports']) => ranges.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`));
const view = (v: DatastoreVersion): z.infer<typeof versionView> => ({
  id: v.name,
  name: v.name,
  datastore: v.datastore,
  active: v.active,
  manager_sha256: v.manager.sha256,
  tcp_ports: ports(v.server.tcp_ports),
  udp_ports: ports(v.server.udp_ports),
});

const project = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/** GET /v1.0/{project}/datastores[/{ds}/versions[/{version}]], in the shape Trove users know. */
export function datastoreRoutes(registry: DatastoreRegistry, auth: ProjectAuth): FastifyPluginAsyncZod {
  return async (app) => {
    const find = (name: string) => {
      const datastore = registry.get(name);
      if (!datastore) throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `no datastore ${name}`, 'GET /v1.0/{project}/datastores lists them');
      return datastore;
    };
    app.get(
      '/v1.0/:project/datastores',
      { schema: { tags: ['datastores'], params: z.object({ project }), response: { 200: z.object({ datastores: z.array(datastoreView) }) } } },
      async (request) => {
        auth.authorize(request, request.params.project);
        return {
          datastores: registry.list().map((d) => ({
            id: d.name,
            name: d.name,
            default_version: d.defaultVersion,
            versions: d.versions.map((v) => ({ id: v.name, name: v.name, active: v.active })),
          })),
        };
      },
    );
    app.get(
      '/v1.0/:project/datastores/:datastore/versions',
      { schema: { tags: ['datastores'], params: z.object({ project, datastore: z.string() }), response: { 200: z.object({ versions: z.array(versionView) }) } } },
      async (request) => {
        auth.authorize(request, request.params.project);
        return { versions: find(request.params.datastore).versions.map(view) };
      },
    );
    app.get(
      '/v1.0/:project/datastores/:datastore/versions/:version',
      { schema: { tags: ['datastores'], params: z.object({ project, datastore: z.string(), version: z.string() }), response: { 200: z.object({ version: versionView }) } } },
      async (request) => {
        auth.authorize(request, request.params.project);
        const version = find(request.params.datastore).versions.find((v) => v.name === request.params.version);
        if (!version) throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `datastore ${request.params.datastore} has no version ${request.params.version}`);
        return { version: view(version) };
      },
    );
  };
}
