import { STATUS_CODES } from 'node:http';
import type { BerthError } from '../../datastores/errors/berth-error.js';

/**
 * Trove's names for its fault bodies (trove/common/wsgi.py Fault): the one key
 * of `{"badRequest": {"code": 400, "message": ...}}`. Statuses Trove does not
 * name get its fallback: the webob class name without "HTTP", first letter
 * lowered (409 -> "conflict").
 */
const NAMED: Readonly<Record<number, string>> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  413: 'overLimit',
  415: 'badMediaType',
  500: 'instanceFault',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

export function faultName(status: number): string {
  const named = NAMED[status];
  if (named) return named;
  const words = (STATUS_CODES[status] ?? 'Error').replace(/[^A-Za-z ]/g, '').split(' ').filter(Boolean);
  const camel = words.map((word, index) => (index === 0 ? word.toLowerCase() : word[0]!.toUpperCase() + word.slice(1).toLowerCase())).join('');
  return camel || 'error';
}

/**
 * The API's error body: Trove's fault first (its clients read the first key's
 * `message`, so they print Berth's message, with the fix and the code), then `error`,
 * Berth's catalogue entry (stable code, message, fix), which Berth's CLI and
 * any program read.
 */
export interface ApiErrorBody {
  [fault: string]: { code: number; message: string } | ReturnType<BerthError['toJSON']>;
  error: ReturnType<BerthError['toJSON']>;
}

export function errorBody(error: BerthError): ApiErrorBody {
  // the code too: a Trove client prints only this message, and the code is what to look up and match on
  const message = `${error.fix === undefined ? error.message : `${error.message} (fix: ${error.fix})`} [${error.code}]`;
  // insertion order is the JSON order: the fault key must come first
  return { [faultName(error.status)]: { code: error.status, message }, error: error.toJSON() } as ApiErrorBody;
}
