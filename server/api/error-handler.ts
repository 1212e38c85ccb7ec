import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { errorBody } from './fault-body.js';


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
    void reply.status(berthError.status).send(errorBody(berthError));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new BerthError('BERTH_ERR_ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`, 'see /openapi.json for the API');
    void reply.status(error.status).send(errorBody(error));
  });
}

/**
 * Fastify's `frameworkErrors`: what it refuses before routing (a URL whose
 * percent-encoding does not decode, a path parameter longer than
 * maxParamLength) leaves as a catalogue error too, not Fastify's own body.
 */
export function frameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const berthError = fromFastify(error);
  void reply.status(berthError.status).send(errorBody(berthError));
}

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refuses (not
 * HTTP, headers too large, too slow) has no request object; the answer is
 * written to the socket, with the catalogue body, and the socket closed.
 */
export function clientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const what =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'the request headers are larger than the server accepts'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'the request did not arrive in time'
        : `the request is not valid HTTP (${error.code ?? error.message})`;
  const berthError = new BerthError('BERTH_ERR_VALIDATION', what, 'send a well-formed HTTP/1.1 request');
  const body = JSON.stringify(errorBody(berthError));
  if (socket.writable) {
    const head = `HTTP/1.1 ${berthError.status} ${STATUS_CODES[berthError.status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
    socket.write(head + body);
  }
  socket.destroy(error);
}
