import { MAX_FRAME_BYTES, METHODS, RPC_ERRORS, notificationFrame, requestFrame, requestId, type MethodName } from '../../../host/rpc/protocol.js';
import { reviveWire } from '../../../host/rpc/wire-values.js';
import { guardedSafeParse } from '../../../host/validation/guarded-parse.js';

/** One WebSocket frame as a peer sends it. */
export type WireFrame = { kind: 'text'; text: string } | { kind: 'binary'; bytes: Uint8Array };

/**
 * What the protocol says a peer does with a frame (JSON-RPC 2.0 with Berth's rules):
 * - `refused`: answered at once, in order, with this error code and id;
 * - `served`: a request with valid params to a method this side serves, answered later by id;
 * - `silent`: never answered (a well-formed notification, whatever its method; any response).
 */
export type Expected =
  | { answer: 'refused'; code: number; id: string | number | null }
  | { answer: 'served'; id: string | number; method: MethodName }
  | { answer: 'silent' };

/** The methods one end of the channel serves: the server `guest.hello`, a host `guest.call`, `guest.ping` and `guest.source-reachable`. */
export interface Side {
  serves: readonly MethodName[];
}
export const SERVER_SIDE: Side = { serves: ['guest.hello'] };
export const HOST_SIDE: Side = { serves: ['guest.call', 'guest.ping', 'guest.source-reachable'] };

const refused = (code: number, id: string | number | null): Expected => ({ answer: 'refused', code, id });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The protocol's rules, written from protocol.ts and JSON-RPC 2.0, not from
 * the peer's code:
 * 1. binary frames and frames above MAX_FRAME_BYTES: Invalid Request, id null;
 * 2. text that is not JSON (including JSON nested deeper than the parser takes): Parse error, id null;
 * 3. JSON that is not an object (batches included: not supported): Invalid Request, id null;
 * 4. method and id: a request. Not a valid request: Invalid Request with its id if that id
 *    is a valid one, else null. A method this side does not serve: Method not found. Params
 *    its schema refuses: Invalid params. Otherwise served and answered by id;
 * 5. method without id: a notification, never answered when well-formed; a malformed one
 *    (wrong jsonrpc, method not a string, extra members) is an invalid request, id null;
 * 6. result or error without method: a response, never answered (a peer that answered
 *    responses could loop with another);
 * 7. anything else: Invalid Request, with the id if it is a valid one.
 */
export function expectedAnswer(frame: WireFrame, side: Side): Expected {
  if (frame.kind === 'binary') return refused(RPC_ERRORS.INVALID_REQUEST, null);
  // what arrives: the text as UTF-8 (a lone surrogate travels as U+FFFD)
  const bytes = Buffer.from(frame.text, 'utf8');
  if (bytes.length > MAX_FRAME_BYTES) return refused(RPC_ERRORS.INVALID_REQUEST, null);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'), reviveWire);
  } catch {
    return refused(RPC_ERRORS.PARSE_ERROR, null);
  }
  if (!isRecord(value)) return refused(RPC_ERRORS.INVALID_REQUEST, null);
  const validId = guardedSafeParse(requestId, value.id);
  const id = validId.success ? validId.data : null;
  if ('method' in value && 'id' in value) {
    const request = guardedSafeParse(requestFrame, value);
    if (!request.success) return refused(RPC_ERRORS.INVALID_REQUEST, id);
    const method = request.data.method as MethodName;
    if (!side.serves.includes(method)) return refused(RPC_ERRORS.METHOD_NOT_FOUND, request.data.id);
    if (!guardedSafeParse(METHODS[method].params, request.data.params).success) return refused(RPC_ERRORS.INVALID_PARAMS, request.data.id);
    return { answer: 'served', id: request.data.id, method };
  }
  if ('method' in value) return guardedSafeParse(notificationFrame, value).success ? { answer: 'silent' } : refused(RPC_ERRORS.INVALID_REQUEST, null);
  if ('result' in value || 'error' in value) return { answer: 'silent' };
  return refused(RPC_ERRORS.INVALID_REQUEST, id);
}
