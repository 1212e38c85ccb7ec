import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { BerthError } from '../errors/berth-error.js';

/** The one error body of the API: the catalogue code, a message naming the input, a fix. */
export interface ApiErrorBody {
  error: { code: string; message: string; fix?: string };
}

function fromFastify(error: FastifyError): BerthError {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? 'request';
    const details = error.validation.map((issue) => `${where}${issue.instancePath.replace(/\//g, '.')}: ${issue.message}`);
    return new BerthError('BERTH_ERR_VALIDATION', details.join('; '), 'correct the fields named above (the OpenAPI document at /openapi.json has every schema)');
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new BerthError('BERTH_ERR_VALIDATION', `body: ${error.message}`, 'send a JSON object');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new BerthError('BERTH_ERR_VALIDATION', `body: ${error.message}`, 'send Content-Type: application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new BerthError('BERTH_ERR_BODY_TOO_LARGE', error.message, 'send a smaller body');
    default:
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
        return new BerthError('BERTH_ERR_VALIDATION', error.message, 'correct the request');
      }
      return new BerthError('BERTH_ERR_INTERNAL', 'internal error', undefined, { cause: error });
  }
}

/** Every error leaves the API as a catalogue code with its status; nothing else, never a stack. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const berthError = error instanceof BerthError ? error : isResponseSerializationError(error) ? new BerthError('BERTH_ERR_INTERNAL', 'internal error', undefined, { cause: error }) : fromFastify(error);
    if (berthError.code === 'BERTH_ERR_INTERNAL') request.log.error({ err: berthError.cause ?? error }, 'internal error');
    void reply.status(berthError.status).send({ error: berthError.toJSON() } satisfies ApiErrorBody);
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new BerthError('BERTH_ERR_ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`, 'see /openapi.json for the API');
    void reply.status(error.status).send({ error: error.toJSON() } satisfies ApiErrorBody);
  });
}
