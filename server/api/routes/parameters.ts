import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BerthError } from '../../../datastores/errors/berth-error.js';
import { findRule } from '../../../datastores/sdk/parameters.js';
import type { ParameterRuleManifest } from '../../../datastores/toolchain/parameter-rules.js';
import type { ManifestCatalog } from '../../registry/manifests.js';
import type { DatastoreRegistry, DatastoreVersion } from '../../registry/registry.js';
import type { ProjectAuth } from '../auth.js';

/** Trove's ConfigurationParameterView, with Berth's allowed values and description where the manager gives them. */
const parameterView = z.object({
  name: z.string(),
  datastore_version_id: z.string(),
  restart_required: z.boolean(),
  type: z.enum(['integer', 'string', 'boolean', 'float']),
  min: z.number().optional(),
  max: z.number().optional(),
  allowed_values: z.array(z.string()).optional(),
  description: z.string().optional(),
});
const listView = z.object({ 'configuration-parameters': z.array(parameterView) });

function viewOf(rule: ParameterRuleManifest, version: DatastoreVersion): z.infer<typeof parameterView> {
  return {
    name: rule.name,
    datastore_version_id: version.id,
    restart_required: rule.restartRequired,
    type: rule.type,
    ...(rule.min !== undefined ? { min: rule.min.val } : {}),
    ...(rule.max !== undefined ? { max: rule.max.val } : {}),
    ...(rule.allowedValues.length > 0 ? { allowed_values: rule.allowedValues } : {}),
    ...(rule.description !== undefined ? { description: rule.description } : {}),
  };
}

const project = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const NOT_FOUND_FIX = 'GET /v1.0/{project}/datastores lists them';

/**
 * Trove's configuration parameters, from each version's manager manifest:
 * GET /v1.0/{project}/datastores/{ds}/versions/{v}/parameters[/{name}] and
 * the id-only /datastores/versions/{id}/parameters[/{name}] troveclient uses
 * when given a version id. The list is wrapped in "configuration-parameters",
 * one parameter is not (as Trove answers). A manager that declares no rules
 * (one built for berth:datastore@0.1.0) lists none.
 */
export function parameterRoutes(registry: DatastoreRegistry, manifests: ManifestCatalog, auth: ProjectAuth): FastifyPluginAsyncZod {
  return async (app) => {
    const byName = (datastore: string, version: string): DatastoreVersion => {
      if (!registry.get(datastore)) throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `no datastore ${datastore}`, NOT_FOUND_FIX);
      const found = registry.version(datastore, version);
      if (!found) throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `datastore ${datastore} has no version ${version}`, NOT_FOUND_FIX);
      return found;
    };
    const byId = (id: string): DatastoreVersion => {
      const found = registry.versionById(id);
      if (!found) throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `no datastore version with id ${id}`, NOT_FOUND_FIX);
      return found;
    };
    const list = (version: DatastoreVersion) => ({ 'configuration-parameters': manifests.parameters(version).map((rule) => viewOf(rule, version)) });
    const one = (version: DatastoreVersion, name: string) => {
      const rule = findRule(manifests.parameters(version), name);
      if (!rule) {
        throw new BerthError(
          'BERTH_ERR_PARAMETER_NOT_FOUND',
          `${version.datastore} ${version.name} has no configuration parameter ${name}`,
          `GET /v1.0/{project}/datastores/${version.datastore}/versions/${version.name}/parameters lists them`,
        );
      }
      return viewOf(rule, version);
    };

    const base = '/v1.0/:project/datastores';
    const named = z.object({ project, datastore: z.string(), version: z.string() });
    const identified = z.object({ project, id: z.string() });
    const tags = ['datastores', 'configurations'];
    app.get(`${base}/:datastore/versions/:version/parameters`, { schema: { tags, params: named, response: { 200: listView } } }, async (request) => {
      auth.authorize(request, request.params.project);
      return list(byName(request.params.datastore, request.params.version));
    });
    app.get(`${base}/:datastore/versions/:version/parameters/:name`, { schema: { tags, params: named.extend({ name: z.string() }), response: { 200: parameterView } } }, async (request) => {
      auth.authorize(request, request.params.project);
      return one(byName(request.params.datastore, request.params.version), request.params.name);
    });
    app.get(`${base}/versions/:id/parameters`, { schema: { tags, params: identified, response: { 200: listView } } }, async (request) => {
      auth.authorize(request, request.params.project);
      return list(byId(request.params.id));
    });
    app.get(`${base}/versions/:id/parameters/:name`, { schema: { tags, params: identified.extend({ name: z.string() }), response: { 200: parameterView } } }, async (request) => {
      auth.authorize(request, request.params.project);
      return one(byId(request.params.id), request.params.name);
    });
  };
}
