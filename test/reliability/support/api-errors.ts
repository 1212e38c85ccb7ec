import { ERRORS, isErrorCode } from '../../../datastores/errors/catalogue.js';

/**
 * The rule every API answer keeps: a success, or `{error: {code, message}}`
 * with a catalogue code and that code's HTTP status; never a 500, never
 * BERTH_ERR_INTERNAL. Returns what is wrong, or undefined. A HEAD answer has
 * no body: its status must at least be one the catalogue uses.
 */
export function apiAnswerProblem(method: string, status: number, text: string, url = ''): string | undefined {
  if (status === 500) return `500: ${text.slice(0, 300)}`;
  if (status < 400) return undefined;
  if (KEYSTONE_PATH.test(url)) return keystoneAnswerProblem(method, status, text);
  if (method === 'HEAD') return Object.values(ERRORS).some((e) => e.status === status) ? undefined : `HEAD answered ${status}, a status no catalogue error has`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `${status} with a body that is not JSON: ${text.slice(0, 300)}`;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof error?.code !== 'string' || !isErrorCode(error.code)) return `${status} without a catalogue code: ${text.slice(0, 300)}`;
  if (typeof error.message !== 'string') return `${error.code} without a message`;
  if (error.code === 'BERTH_ERR_INTERNAL') return `BERTH_ERR_INTERNAL: ${error.message}`;
  if (ERRORS[error.code].status !== status) return `${error.code} with status ${status}, the catalogue says ${ERRORS[error.code].status}`;
  return undefined;
}

/** The identity routes speak to keystoneauth: their errors are Keystone's shape, not the catalogue's. */
const KEYSTONE_PATH = /^\/(v3|identity)(\/|\?|$)/;

function keystoneAnswerProblem(method: string, status: number, text: string): string | undefined {
  if (method === 'HEAD') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `${status} with a body that is not JSON: ${text.slice(0, 300)}`;
  }
  const error = (body as { error?: { code?: unknown; title?: unknown; message?: unknown } } | null)?.error;
  // a path under /v3 that Berth does not serve is an ordinary unknown route
  if (typeof error?.code === 'string' && error.code === 'BERTH_ERR_ROUTE_NOT_FOUND' && status === 404) return undefined;
  if (error?.code !== status || typeof error.title !== 'string' || typeof error.message !== 'string') return `${status} not in Keystone's error shape: ${text.slice(0, 300)}`;
  return undefined;
}
