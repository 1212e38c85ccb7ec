import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BackupService } from '../../backups/backup-service.js';
import type { BackupRecord } from '../../store/store.js';
import type { ProjectAuth } from '../auth.js';
import { datastoreVersionId } from '../../registry/stable-ids.js';

const project = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const params = z.object({ project, id: z.string().uuid() });
const createBody = z.strictObject({
  backup: z.strictObject({
    name: z.string().min(1).max(64),
    instance: z.string().uuid(),
    description: z.string().max(512).optional(),
    parent_id: z.string().uuid().optional(),
    // Trove's flag (its schema takes 0 or 1; the clients send 1): build on the instance's latest completed backup
    incremental: z.union([z.literal(0), z.literal(1), z.boolean()]).transform((flag) => flag === true || flag === 1).optional(),
  }),
});

const backupView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  status: z.string(),
  instance_id: z.string(),
  parent_id: z.string().nullable(),
  datastore: z.object({ type: z.string(), version: z.string(), version_id: z.string() }),
  project_id: z.string(),
  /** Trove's Swift URL of the backup; Berth's store is the server's, so there is none to give. */
  locationRef: z.null(),
  /** Trove's size, in GB. */
  size: z.number().nullable(),
  size_bytes: z.number().nullable(),
  checksum: z.string().nullable(),
  format: z.string().nullable(),
  created: z.string(),
  updated: z.string(),
  fault: z.object({ message: z.string() }).optional(),
});

function view(backup: BackupRecord): z.infer<typeof backupView> {
  return {
    id: backup.id,
    name: backup.name,
    description: backup.description,
    status: backup.state,
    instance_id: backup.instanceId,
    parent_id: backup.parentId,
    datastore: { type: backup.datastore, version: backup.datastoreVersion, version_id: datastoreVersionId(backup.datastore, backup.datastoreVersion) },
    project_id: backup.project,
    locationRef: null,
    size: backup.size === null ? null : backup.size / 1024 ** 3,
    size_bytes: backup.size,
    checksum: backup.checksum,
    format: backup.format,
    created: backup.createdAt.toISOString(),
    updated: backup.updatedAt.toISOString(),
    ...(backup.fault ? { fault: { message: backup.fault } } : {}),
  };
}

/** /v1.0/{project}/backups and /instances/{id}/backups, in Trove's shapes. */
export function backupRoutes(service: BackupService, auth: ProjectAuth): FastifyPluginAsyncZod {
  return async (app) => {
    const base = '/v1.0/:project/backups';
    const one = z.object({ backup: backupView });
    const many = z.object({ backups: z.array(backupView) });
    app.post(base, { schema: { tags: ['backups'], params: z.object({ project }), body: createBody, response: { 202: one } } }, async (request, reply) => {
      const name = auth.authorize(request, request.params.project);
      return reply.status(202).send({ backup: view(await service.create(name, request.body.backup)) });
    });
    app.get(base, { schema: { tags: ['backups'], params: z.object({ project }), querystring: z.object({ instance_id: z.string().uuid().optional() }), response: { 200: many } } }, async (request) => {
      const name = auth.authorize(request, request.params.project);
      return { backups: (await service.list(name, request.query.instance_id)).map(view) };
    });
    app.get(`${base}/:id`, { schema: { tags: ['backups'], params, response: { 200: one } } }, async (request) => {
      const name = auth.authorize(request, request.params.project);
      return { backup: view(await service.get(name, request.params.id)) };
    });
    app.delete(`${base}/:id`, { schema: { tags: ['backups'], params } }, async (request, reply) => {
      const name = auth.authorize(request, request.params.project);
      await service.delete(name, request.params.id);
      return reply.status(202).send();
    });
    app.get('/v1.0/:project/instances/:id/backups', { schema: { tags: ['backups'], params, response: { 200: many } } }, async (request) => {
      const name = auth.authorize(request, request.params.project);
      return { backups: (await service.list(name, request.params.id)).map(view) };
    });
  };
}
