import type { ManagerContext } from '../sdk/index.js';
import { TarReader, tarEnd, tarHeader, tarPadding } from '../sdk/tar.js';
import type { MyContext, MyOptions } from './options.js';

const CHUNK = 1024 * 1024;

export type ArtifactWriter = ReturnType<ManagerContext<MyOptions>['artifacts']['writer']>;

/** A file's bytes into the artifact in pieces: never the whole file in memory, never through exec's capped output. */
export function streamFile(ctx: MyContext, writer: ArtifactWriter, path: string): number {
  const size = ctx.files.size(path);
  for (let offset = 0; offset < size; ) {
    const chunk = ctx.files.readRange(path, offset, Math.min(CHUNK, size - offset));
    if (chunk.length === 0) throw new Error(`${path} shrank while it was being read`);
    writer.write(chunk);
    offset += chunk.length;
  }
  return size;
}

/** A directory tree as a ustar archive, its entries relative to `directory`. */
export function writeTar(ctx: MyContext, writer: ArtifactWriter, directory: string, archived = ''): void {
  for (const entry of ctx.files.list(directory)) {
    const path = `${directory}/${entry.name}`;
    const inArchive = archived ? `${archived}/${entry.name}` : entry.name;
    if (entry.type === 'directory') {
      writer.write(tarHeader({ path: inArchive, type: 'directory', size: 0 }));
      writeTar(ctx, writer, path, inArchive);
    } else if (entry.type === 'regular-file') {
      const size = ctx.files.size(path);
      writer.write(tarHeader({ path: inArchive, type: 'file', size }));
      streamFile(ctx, writer, path);
      writer.write(tarPadding(size));
    }
  }
  if (!archived) writer.write(tarEnd());
}

/** An artifact holding a ustar archive, unpacked into `directory`. */
export function readTar(ctx: MyContext, artifact: string, directory: string): void {
  const reader = new TarReader(
    (entry) => {
      const path = `${directory}/${entry.path}`;
      if (entry.type === 'directory') {
        if (!ctx.files.exists(path)) ctx.files.makeDirectory(path);
      } else ctx.files.writeBytes(path, new Uint8Array(0));
    },
    (entry, data) => {
      const path = `${directory}/${entry.path}`;
      ctx.files.writeAt(path, ctx.files.size(path), data);
    },
  );
  for (const chunk of ctx.artifacts.read(artifact)) reader.push(chunk);
  reader.finish();
}

/** An artifact's bytes into one file. */
export function readToFile(ctx: MyContext, artifact: string, path: string): number {
  ctx.files.writeBytes(path, new Uint8Array(0));
  let offset = 0;
  for (const chunk of ctx.artifacts.read(artifact)) {
    ctx.files.writeAt(path, offset, chunk);
    offset += chunk.length;
  }
  return offset;
}
