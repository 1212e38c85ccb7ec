import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { jsonSchemaTransform, serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { guardedValidatorCompiler } from './guarded-validator.js';
import type { DatastoreRegistry } from '../registry/registry.js';
import type { ManifestCatalog } from '../registry/manifests.js';
import { parameterRoutes } from './routes/parameters.js';
import { instanceConfigurationRoutes } from './routes/instance-configuration.js';
import { authorizeFirst, type ProjectAuth } from './auth.js';
import { clientError, frameworkError, installErrorHandling } from './error-handler.js';
import { registerDocsUi } from './docs-ui.js';
import { datastoreRoutes } from './routes/datastores.js';
import { instanceRoutes } from './routes/instances.js';
import { instanceFilesystemRoutes } from './routes/instance-filesystem.js';
import type { InstanceService } from '../instances/instance-service.js';
import type { BackupService } from '../backups/backup-service.js';
import { backupRoutes } from './routes/backups.js';
import type { ConfigurationService } from '../configurations/configuration-service.js';
import { configurationRoutes } from './routes/configurations.js';
import { guestArtifactRoutes, type GuestAuthenticator } from './routes/guest-artifacts.js';
import { flavorRoutes } from './routes/flavors.js';
import type { FlavorCatalog } from '../flavors/flavor-catalog.js';
import { identityRoutes, type IdentityOptions } from './routes/identity.js';
import type { GuestLogService } from '../guest-logs/guest-log-service.js';
import { guestLogRoutes } from './routes/guest-logs.js';

export interface AppDependencies {
  registry: DatastoreRegistry;
  /** The managers' manifests: with them the API serves each version's configuration parameters. */
  manifests?: ManifestCatalog;
  auth: ProjectAuth;
  /** Instances and their guests; without it the API serves datastores only. */
  instances?: InstanceService;
  /** Backups and the guests' artifact routes (both need the instance's token check). */
  backups?: { service: BackupService; authenticateGuest: GuestAuthenticator };
  /** Trove's flavors; without them the API has no /flavors. */
  flavors?: FlavorCatalog;
  /** Configuration groups, attached through the instances' PUT. */
  configurations?: ConfigurationService;
  /** Users who may log in at /v3/auth/tokens (Keystone's password method); without it there is no identity endpoint. */
  identity?: IdentityOptions;
  /** Guest logs: Trove's log list and actions, and the published content. */
  guestLogs?: GuestLogService;
  logger?: boolean;
}

/** The REST API: Fastify with zod schemas, an OpenAPI document at /openapi.json and its UI at /docs. */
export async function buildApi(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: 1024 * 1024, frameworkErrors: frameworkError, clientErrorHandler: clientError }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(guardedValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);
  authorizeFirst(app, deps.auth);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Berth', version: '0.1.0', description: 'Trove-style API for sandboxed datastore managers' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await registerDocsUi(app, '/docs');
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(datastoreRoutes(deps.registry, deps.auth));
  if (deps.manifests) await app.register(parameterRoutes(deps.registry, deps.manifests, deps.auth));
  if (deps.flavors) await app.register(flavorRoutes(deps.flavors, deps.auth));
  if (deps.instances) {
    await app.register(instanceRoutes(deps.instances, deps.auth, deps.configurations, deps.flavors?.default.id ?? '1'));
    await app.register(instanceFilesystemRoutes(deps.instances, deps.auth));
  }
  if (deps.configurations) {
    await app.register(configurationRoutes(deps.configurations, deps.auth));
    await app.register(instanceConfigurationRoutes(deps.configurations, deps.auth));
  }
  if (deps.identity) await app.register(identityRoutes(deps.auth, deps.identity));
  if (deps.guestLogs) await app.register(guestLogRoutes(deps.guestLogs, deps.auth));
  if (deps.backups) {
    await app.register(backupRoutes(deps.backups.service, deps.auth));
    await app.register(guestArtifactRoutes(deps.backups.service, deps.backups.authenticateGuest));
  }
  return app;
}
