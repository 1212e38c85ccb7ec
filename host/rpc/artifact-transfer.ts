import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { isErrorCode, type ErrorCode } from '../../datastores/errors/catalogue.js';

export interface ArtifactTransferOptions {
  /** The guest channel's URL (ws:// or wss://); artifacts live under the same path over HTTP. */
  serverUrl: string;
  caFile?: string;
  instanceId: string;
  token: string;
}

/**
 * A transfer that failed; `retryable` when the server could not be reached or
 * was not ready (5xx), not when it refused (4xx). A refusal keeps the
 * server's code (BERTH_ERR_ARTIFACT_TOO_LARGE, say), so the call fails with it.
 */
export class TransferError extends BerthError {
  constructor(
    message: string,
    readonly retryable: boolean,
    code: ErrorCode = 'BERTH_ERR_ARTIFACT_TRANSFER',
    fix?: string,
  ) {
    super(code, message, fix ?? (retryable ? 'the host retries until the call deadline' : undefined));
  }
}

export interface StoredArtifact {
  size: number;
  sha256: string;
}

/** Header carrying the artifact's sha256 (hex), checked by the receiving end. */
export const SHA256_HEADER = 'x-berth-sha256';

/** http(s)://host:port/v1/guests/<instance>/artifacts/<backup>, from the guest channel's URL. */
export function artifactUrl(serverUrl: string, instanceId: string, backupId: string): URL {
  const url = new URL(serverUrl.replace(/^ws/, 'http'));
  url.pathname = `${url.pathname.replace(/\/$/, '')}/${encodeURIComponent(instanceId)}/artifacts/${encodeURIComponent(backupId)}`;
  return url;
}

function hashing(hash: ReturnType<typeof createHash>, counter: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      counter.bytes += chunk.length;
      done(null, chunk);
    },
  });
}

async function fileDigest(path: string): Promise<StoredArtifact> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** What a refusal means when its body was lost (a server that stops reading resets the connection). */
const REFUSALS_BY_STATUS: Record<number, ErrorCode> = { 403: 'BERTH_ERR_ARTIFACT_NOT_GRANTED', 413: 'BERTH_ERR_ARTIFACT_TOO_LARGE' };

async function readError(response: IncomingMessage): Promise<TransferError> {
  let body = '';
  try {
    for await (const chunk of response) body += String(chunk);
  } catch {
    // the connection went with the body: the status says enough
  }
  let parsed: { error?: { code?: string; message?: string; fix?: string } } = {};
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    // not the server's JSON error: quote it as it is
  }
  const { code, message, fix } = parsed.error ?? {};
  const retryable = (response.statusCode ?? 0) >= 500;
  const refusal = retryable ? undefined : typeof code === 'string' && isErrorCode(code) ? code : REFUSALS_BY_STATUS[response.statusCode ?? 0];
  return new TransferError(`the server answered ${response.statusCode}: ${code ?? ''} ${String(message ?? body).slice(0, 300)}`.trim(), retryable, refusal, typeof fix === 'string' ? fix.slice(0, 300) : undefined);
}

/**
 * Moves backup artifacts between the guest's spool and the server's backup
 * store over plain HTTP(S) next to the guest channel: binary, streamed, and
 * checked by sha256 at both ends. Authenticated with the instance's token.
 */
export class ArtifactTransfer {
  private readonly ca: Buffer | undefined;

  constructor(private readonly options: ArtifactTransferOptions) {
    this.ca = options.caFile ? readFileSync(options.caFile) : undefined;
  }

  private open(method: 'PUT' | 'GET', backupId: string, headers: Record<string, string>) {
    const url = artifactUrl(this.options.serverUrl, this.options.instanceId, backupId);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return send(url, { method, headers: { authorization: `Bearer ${this.options.token}`, ...headers }, ...(this.ca ? { ca: this.ca } : {}) });
  }

  /** Send a finished spool file; resolves with what the server stored. */
  async upload(backupId: string, path: string): Promise<StoredArtifact> {
    const digest = await fileDigest(path);
    const request = this.open('PUT', backupId, { 'content-type': 'application/octet-stream', 'content-length': String(digest.size), [SHA256_HEADER]: digest.sha256 });
    const answered = new Promise<IncomingMessage>((resolve, reject) => {
      request.once('response', resolve);
      request.once('error', reject);
    });
    // when the upload itself fails first, nobody awaits the answer: its rejection must not go unhandled (that ends the host)
    answered.catch(() => undefined);
    const sending = pipeline(createReadStream(path), request);
    sending.catch(() => undefined);
    let response: IncomingMessage;
    try {
      // a server that refuses (too large, not granted) answers before it has read everything: that answer counts
      response = await Promise.race([sending.then(() => answered), answered]);
    } catch (error) {
      // refused, reset, unreachable: the server may be restarting
      throw new TransferError(`uploading backup ${backupId}: ${error instanceof Error ? error.message : String(error)}`, true);
    }
    if (response.statusCode !== 200) {
      const refusal = await readError(response);
      request.destroy();
      throw refusal;
    }
    response.resume();
    return digest;
  }

  /** Fetch a stored artifact into a spool file, refusing it unless size and sha256 are the expected ones. */
  async download(backupId: string, path: string, expected: StoredArtifact): Promise<void> {
    const request = this.open('GET', backupId, {});
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      request.once('response', resolve);
      request.once('error', (error) => reject(new TransferError(`downloading backup ${backupId}: ${error.message}`, true)));
      request.end();
    });
    if (response.statusCode !== 200) throw await readError(response);
    const hash = createHash('sha256');
    const counter = { bytes: 0 };
    await pipeline(response, hashing(hash, counter), createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    const sha256 = hash.digest('hex');
    if (counter.bytes !== expected.size || sha256 !== expected.sha256) {
      throw new BerthError(
        'BERTH_ERR_ARTIFACT_CHECKSUM',
        `backup ${backupId} arrived with ${counter.bytes} bytes and sha256 ${sha256}; the server recorded ${expected.size} bytes and ${expected.sha256}`,
        'the stored backup is damaged or was replaced; restore from another backup',
      );
    }
  }
}
