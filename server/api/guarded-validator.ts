import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { BerthError } from '../../datastores/errors/berth-error.js';

/**
 * fastify-type-provider-zod's validator, made total: zod throws instead of
 * failing on a body such as `{"name": {"length": {"toString": 0}}}` (see
 * host/validation/guarded-parse.ts); such a request is a validation error
 * (400 BERTH_ERR_VALIDATION), not an internal one.
 */
export const guardedValidatorCompiler: FastifySchemaCompiler<z.ZodType> = (route) => {
  const validate = validatorCompiler(route);
  return (data: unknown) => {
    try {
      return validate(data);
    } catch {
      const where = route.httpPart ?? 'request';
      return { error: new BerthError('BERTH_ERR_VALIDATION', `${where}: holds a value the schema cannot check (an object where text, a number or a list belongs)`, 'send the fields in the documented shape (the OpenAPI document at /openapi.json has every schema)') };
    }
  };
};
