import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { InstanceService } from '../../instances/instance-service.js';
import type { ProjectAuth } from '../auth.js';

const params = z.object({ project: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), id: z.string().uuid() });
const query = z.object({ path: z.string().min(1).max(4096).optional() });
const filesystemView = z.object({ path: z.string(), block_size: z.number(), total_blocks: z.number(), free_blocks: z.number(), total: z.number(), free: z.number(), used: z.number() });

/** The manager's answer, whose u64 fields arrive as bigint or number depending on the path they took. */
interface FilesystemStats {
  blockSize: bigint | number;
  totalBlocks: bigint | number;
  freeBlocks: bigint | number;
  total: bigint | number;
  free: bigint | number;
  used: bigint | number;
}

/**
 * GET /v1.0/{project}/instances/{id}/filesystem: the manager's
 * get-filesystem-stats for the file system under its data (the manager's
 * mount point, or `?path=`), in bytes. Trove reads the same call for an
 * instance's volume.used; Berth's instance view takes volume.used from the
 * provisioner where it can measure the volume itself (a local volume is a
 * directory on a shared file system, whose statfs is the whole disk's).
 */
export function instanceFilesystemRoutes(service: InstanceService, auth: ProjectAuth): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/v1.0/:project/instances/:id/filesystem', { schema: { tags: ['instances'], params, querystring: query, response: { 200: z.object({ filesystem: filesystemView }) } } }, async (request) => {
      const project = auth.authorize(request, request.params.project);
      // an empty path: the manager's own mount point (wit/volume.wit)
      const stats = (await service.call(project, request.params.id, 'get-filesystem-stats', [request.query.path ?? ''])) as FilesystemStats;
      return {
        filesystem: {
          path: request.query.path ?? '',
          block_size: Number(stats.blockSize),
          total_blocks: Number(stats.totalBlocks),
          free_blocks: Number(stats.freeBlocks),
          total: Number(stats.total),
          free: Number(stats.free),
          used: Number(stats.used),
        },
      };
    });
  };
}
