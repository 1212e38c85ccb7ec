import { read, write } from 'berth:datastore/artifacts@0.2.0';
import { callCapability } from './call.js';

const CHUNK = 256 * 1024;

export interface ArtifactWriter {
  write(chunk: Uint8Array): void;
  /** Total bytes written so far. */
  readonly size: number;
}

/** Write a backup artifact in chunks, as the backup id of the running call names it. */
export function artifactWriter(artifact: string): ArtifactWriter {
  let size = 0;
  return {
    write(chunk) {
      for (let offset = 0; offset < chunk.length; offset += CHUNK) {
        const piece = chunk.subarray(offset, offset + CHUNK);
        callCapability('artifacts', () => write(artifact, piece));
        size += piece.length;
      }
    },
    get size() {
      return size;
    },
  };
}

/** Read an artifact chunk by chunk until its end. */
export function* readArtifact(artifact: string, chunkSize = CHUNK): Generator<Uint8Array> {
  for (;;) {
    const chunk = callCapability('artifacts', () => read(artifact, chunkSize));
    if (chunk.length === 0) return;
    yield chunk;
  }
}
