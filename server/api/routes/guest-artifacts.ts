import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SHA256_HEADER } from '../../../host/rpc/artifact-transfer.js';
import type { BackupService } from '../../backups/backup-service.js';
import { BerthError } from '../../../datastores/errors/berth-error.js';
import { requestToken } from '../auth.js';

/** Answers whether this token is the instance's own (the guest channel's check). */
export type GuestAuthenticator = (instanceId: string, token: string) => Promise<boolean>;

const params = z.object({ instance: z.string().min(1).max(128), backup: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/) });

/**
 * The guest side of backups, next to the guest channel: a host uploads the
 * artifact of the backup its instance is taking and downloads the one it
 * restores. Streamed both ways, never buffered; authenticated by the
 * instance's own token, as the WebSocket handshake is.
 */
export function guestArtifactRoutes(backups: BackupService, authenticate: GuestAuthenticator): FastifyPluginAsyncZod {
  return async (app) => {
    // the handler streams the raw request: the parser must not read it (nor apply the JSON body limit)
    app.addContentTypeParser('application/octet-stream', (_request, _payload, done) => done(null));

    // the instance's token is checked first, before the body is read or the headers validated
    app.addHook('onRequest', async (request) => {
      const { instance } = (request.params ?? {}) as { instance?: unknown };
      const token = requestToken(request);
      if (typeof instance !== 'string' || !token || !(await authenticate(instance, token))) {
        throw new BerthError('BERTH_ERR_UNAUTHORIZED', `not the token of instance ${String(instance)}`, "send the instance's guest token as a bearer token");
      }
    });

    const path = '/v1/guests/:instance/artifacts/:backup';
    app.put(path, { schema: { hide: true, params, headers: z.object({ [SHA256_HEADER]: z.string().regex(/^[0-9a-f]{64}$/) }).passthrough() } }, async (request, reply) => {
      const { instance, backup } = request.params;
      const declared = request.headers['content-length'] === undefined ? undefined : Number(request.headers['content-length']);
      try {
        await backups.receive(instance, backup, request.raw, request.headers[SHA256_HEADER] as string, declared);
      } catch (error) {
        discardRest(request.raw);
        throw refused(request.log, error, instance, backup, 'upload');
      }
      return reply.status(200).send({ stored: true });
    });
    app.get(path, { schema: { hide: true, params } }, async (request, reply) => {
      const { instance, backup } = request.params;
      const { stream, size } = await backups.send(instance, backup).catch((error: unknown) => {
        throw refused(request.log, error, instance, backup, 'download');
      });
      return reply.header('content-type', 'application/octet-stream').header('content-length', String(size)).send(stream);
    });
  };
}

/** Past this much of a refused upload, its connection is cut rather than read to the end. */
const DISCARD_BYTES = 8 * 1024 * 1024;

/**
 * After a refusal the body is read and thrown away, a bounded amount of it, so
 * that the sender reads the answer: a socket closed with bytes unread resets
 * the connection, and the answer is lost with it.
 */
function discardRest(body: IncomingMessage): void {
  let discarded = 0;
  body.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_BYTES) body.socket.destroy();
  });
  body.resume();
}

/** A guest reaching for a backup it was not asked to move, or past the size bound, is the operator's business. */
const REPORTED = new Set(['BERTH_ERR_ARTIFACT_NOT_GRANTED', 'BERTH_ERR_ARTIFACT_TOO_LARGE']);

function refused(log: FastifyBaseLogger, error: unknown, instance: string, backup: string, direction: 'upload' | 'download'): unknown {
  if (error instanceof BerthError && REPORTED.has(error.code)) log.warn({ instance, backup, direction, code: error.code }, `guest artifact ${direction} refused: ${error.message}`);
  return error;
}
