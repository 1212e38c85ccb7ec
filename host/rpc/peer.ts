import type { z } from 'zod';
import { BerthError, type ErrorDetails } from '../../datastores/errors/berth-error.js';
import { isErrorCode } from '../../datastores/errors/catalogue.js';
import { guardedSafeParse } from '../validation/guarded-parse.js';
import {
  CASTS,
  MAX_FRAME_BYTES,
  METHODS,
  RPC_ERRORS,
  errorDetails,
  notificationFrame,
  requestFrame,
  requestId,
  responseFrame,
  type CastName,
  type CastParams,
  type MethodName,
  type MethodParams,
  type MethodResult,
  type RpcErrorObject,
} from './protocol.js';
import type { Transport } from './transport.js';
import { encodeWire, reviveWire } from './wire-values.js';

export type MethodHandler<M extends MethodName> = (params: MethodParams<M>, request: { id: string | number }) => Promise<MethodResult<M>>;
export type Handlers = { [M in MethodName]?: MethodHandler<M> };
export type CastHandlers = { [C in CastName]?: (params: CastParams<C>) => void };

export interface PeerOptions {
  handlers?: Handlers;
  casts?: CastHandlers;
  maxFrameBytes?: number;
  /** A frame this peer refused or could not match; for the operator's log. */
  onProtocolError?(message: string): void;
}

interface Pending {
  method: MethodName;
  resolve(value: unknown): void;
  reject(error: BerthError): void;
  timer: NodeJS.Timeout;
}

function errorOf(error: unknown): RpcErrorObject {
  if (error instanceof BerthError) {
    return { code: RPC_ERRORS.BERTH_ERROR, message: error.message, data: { code: error.code, ...(error.fix === undefined ? {} : { fix: error.fix }), ...(error.details === undefined ? {} : { details: error.details }) } };
  }
  return { code: RPC_ERRORS.INTERNAL_ERROR, message: error instanceof Error ? error.message : String(error) };
}

/** The fix and details a peer's BerthError carried, when they have their shapes; anything else is dropped. */
function remoteFixAndDetails(data: Record<string, unknown> | undefined): { fix?: string; details?: ErrorDetails } {
  const fix = typeof data?.fix === 'string' ? data.fix : undefined;
  const parsed = guardedSafeParse(errorDetails, data?.details);
  return { ...(fix === undefined ? {} : { fix }), ...(parsed.success ? { details: parsed.data } : {}) };
}

/** The frame's id if it is a valid one, else null: an error answers with the id only when it could be read (JSON-RPC 2.0, 5). */
function idOf(record: Record<string, unknown>): string | number | null {
  const parsed = guardedSafeParse(requestId, record.id);
  return parsed.success ? parsed.data : null;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(params)'}: ${issue.message}`).join('; ');
}

/**
 * One end of a JSON-RPC 2.0 conversation. Every frame is checked against the
 * shared definitions; a malformed, oversized or unknown one is answered with
 * a JSON-RPC error and the conversation goes on.
 */
export class RpcPeer {
  private readonly pending = new Map<string | number, Pending>();
  private closed = false;
  private readonly maxFrameBytes: number;
  private readonly closeListeners: Array<(code: number, reason: string) => void> = [];

  constructor(
    private readonly transport: Transport,
    private readonly options: PeerOptions = {},
  ) {
    this.maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    transport.onMessage((text, bytes) => {
      // a frame that makes a check or a handler throw is one bad frame, never the end of the process
      try {
        this.receive(text, bytes);
      } catch (error) {
        this.options.onProtocolError?.(`frame not handled: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    transport.onClose((code, reason) => {
      this.closed = true;
      for (const [id, pending] of this.pending) {
        clearTimeout(pending.timer);
        pending.reject(new BerthError('BERTH_ERR_RPC_DISCONNECTED', `connection closed (${code}) before ${pending.method} ${id} was answered`));
      }
      this.pending.clear();
      this.closeListeners.forEach((listener) => listener(code, reason));
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  onClose(listener: (code: number, reason: string) => void): void {
    this.closeListeners.push(listener);
  }

  request<M extends MethodName>(method: M, params: MethodParams<M>, timeoutMs: number, id: string | number): Promise<MethodResult<M>> {
    if (this.closed) return Promise.reject(new BerthError('BERTH_ERR_RPC_DISCONNECTED', `not connected: ${method} ${id} not sent`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BerthError('BERTH_ERR_RPC_TIMEOUT', `${method} ${id} was not answered within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject, timer });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify<C extends CastName>(cast: C, params: CastParams<C>): boolean {
    if (this.closed) return false;
    this.send({ jsonrpc: '2.0', method: cast, params });
    return true;
  }

  close(code = 1000, reason = ''): void {
    this.transport.close(code, reason);
  }

  private send(frame: object): void {
    try {
      this.transport.send(encodeWire(frame));
    } catch (error) {
      this.options.onProtocolError?.(`send failed: ${(error as Error).message}`);
    }
  }

  private refuse(id: string | number | null, code: number, message: string): void {
    this.options.onProtocolError?.(message);
    this.send({ jsonrpc: '2.0', id, error: { code, message } });
  }

  private receive(text: string | undefined, bytes: number): void {
    if (bytes > this.maxFrameBytes) return this.refuse(null, RPC_ERRORS.INVALID_REQUEST, `frame of ${bytes} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
    if (text === undefined) return this.refuse(null, RPC_ERRORS.INVALID_REQUEST, 'binary frames are not part of the protocol; send JSON text');
    let frame: unknown;
    try {
      frame = JSON.parse(text, reviveWire);
    } catch (error) {
      return this.refuse(null, RPC_ERRORS.PARSE_ERROR, `not JSON: ${(error as Error).message}`);
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      return this.refuse(null, RPC_ERRORS.INVALID_REQUEST, Array.isArray(frame) ? 'batches are not supported' : 'a frame is a JSON object');
    }
    const record = frame as Record<string, unknown>;
    if ('method' in record && 'id' in record) return this.receiveRequest(record);
    if ('method' in record) return this.receiveCast(record);
    if ('result' in record || 'error' in record) return this.receiveResponse(record);
    return this.refuse(idOf(record), RPC_ERRORS.INVALID_REQUEST, 'a frame has a method (request or notification) or a result or error (response)');
  }

  private receiveRequest(record: Record<string, unknown>): void {
    const parsed = guardedSafeParse(requestFrame, record);
    if (!parsed.success) return this.refuse(idOf(record), RPC_ERRORS.INVALID_REQUEST, `invalid request: ${describeIssues(parsed.error)}`);
    const { id, method } = parsed.data;
    const handler = Object.hasOwn(METHODS, method) ? this.options.handlers?.[method as MethodName] : undefined;
    if (!handler) return this.refuse(id, RPC_ERRORS.METHOD_NOT_FOUND, `unknown method ${method}`);
    const params = guardedSafeParse(METHODS[method as MethodName].params, parsed.data.params);
    if (!params.success) return this.refuse(id, RPC_ERRORS.INVALID_PARAMS, `invalid params for ${method}: ${describeIssues(params.error)}`);
    (handler as (p: unknown, r: { id: string | number }) => Promise<unknown>)(params.data, { id }).then(
      (result) => this.send({ jsonrpc: '2.0', id, result }),
      (error: unknown) => this.send({ jsonrpc: '2.0', id, error: errorOf(error) }),
    );
  }

  /**
   * A well-formed notification is never answered, not even when its method
   * is unknown or its params are wrong (JSON-RPC 2.0, 4.1); a malformed one
   * is not a notification but an invalid request, answered with id null.
   */
  private receiveCast(record: Record<string, unknown>): void {
    const parsed = guardedSafeParse(notificationFrame, record);
    if (!parsed.success) return this.refuse(null, RPC_ERRORS.INVALID_REQUEST, `invalid notification: ${describeIssues(parsed.error)}`);
    const { method } = parsed.data;
    const handler = Object.hasOwn(CASTS, method) ? this.options.casts?.[method as CastName] : undefined;
    if (!handler) return this.options.onProtocolError?.(`unknown notification ${method}`);
    const params = guardedSafeParse(CASTS[method as CastName], parsed.data.params);
    if (!params.success) return this.options.onProtocolError?.(`invalid ${method}: ${describeIssues(params.error)}`);
    (handler as (p: unknown) => void)(params.data);
  }

  private receiveResponse(record: Record<string, unknown>): void {
    const parsed = guardedSafeParse(responseFrame, record);
    if (!parsed.success) return this.options.onProtocolError?.(`invalid response: ${describeIssues(parsed.error)}`);
    const frame = parsed.data;
    const pending = frame.id === null ? undefined : this.pending.get(frame.id);
    if (!pending || frame.id === null) {
      if ('error' in frame) this.options.onProtocolError?.(`peer refused a frame: ${frame.error.message}`);
      else this.options.onProtocolError?.(`response to unknown request ${String(frame.id)}`);
      return;
    }
    this.pending.delete(frame.id);
    clearTimeout(pending.timer);
    if ('error' in frame) {
      const code = frame.error.data?.code;
      const { fix, details } = remoteFixAndDetails(frame.error.data);
      pending.reject(new BerthError(code && isErrorCode(code) ? code : 'BERTH_ERR_RPC_REMOTE', frame.error.message, fix, details === undefined ? undefined : { details }));
      return;
    }
    const result = guardedSafeParse(METHODS[pending.method].result, frame.result);
    if (!result.success) pending.reject(new BerthError('BERTH_ERR_RPC_REMOTE', `malformed ${pending.method} result: ${describeIssues(result.error)}`));
    else pending.resolve(result.data);
  }
}
