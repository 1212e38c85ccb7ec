import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { BerthError } from '../../datastores/errors/berth-error.js';

/** A name the store may use as a directory: the managers name their logs like files. */
export const LOG_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
const INSTANCE_ID = /^[0-9a-f-]{36}$/;

/** How far the server has read one log of one instance, across publications. */
const stateSchema = z.object({
  /** Offset in the guest's log up to which it was published. */
  published: z.number().int().nonnegative(),
  /** sha256 of the log's first `headLength` bytes when it was last published: another head means the log was rotated. */
  headDigest: z.string(),
  headLength: z.number().int().nonnegative(),
  nextId: z.number().int().positive(),
});
export type LogState = z.infer<typeof stateSchema>;

const publicationSchema = z.object({
  id: z.number().int().positive(),
  createdAt: z.string(),
  /** The byte range of the guest's log this publication holds. */
  from: z.number().int().nonnegative(),
  to: z.number().int().nonnegative(),
  /** More of the log was there than one publish reads (guest_logs.max_publish_bytes): the rest waits for the next publish. */
  partial: z.boolean(),
});
export type Publication = z.infer<typeof publicationSchema>;

export const EMPTY_STATE: LogState = { published: 0, headDigest: '', headLength: 0, nextId: 1 };
const fileOf = (id: number, ext: 'log' | 'json') => `${String(id).padStart(8, '0')}.${ext}`;

/**
 * Published guest logs as files of the server: <root>/<instance>/<log>/ holds
 * state.json and one NNNNNNNN.log (the bytes) and NNNNNNNN.json (what they
 * are) per publication. Written under a temporary name and renamed, so a crash
 * never leaves half a publication under its name.
 */
export class PublicationStore {
  constructor(private readonly root: string) {}

  private dir(instanceId: string, log: string): string {
    if (!INSTANCE_ID.test(instanceId) || !LOG_NAME.test(log)) throw new BerthError('BERTH_ERR_GUEST_LOG_NOT_FOUND', `no log ${JSON.stringify(log)}`);
    return join(this.root, instanceId, log);
  }

  async state(instanceId: string, log: string): Promise<LogState> {
    try {
      return stateSchema.parse(JSON.parse(await readFile(join(this.dir(instanceId, log), 'state.json'), 'utf8')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_STATE;
      throw error;
    }
  }

  async list(instanceId: string, log: string): Promise<Publication[]> {
    const dir = this.dir(instanceId, log);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const metas = names.filter((name) => /^\d{8}\.json$/.test(name)).sort();
    return Promise.all(metas.map(async (name) => publicationSchema.parse(JSON.parse(await readFile(join(dir, name), 'utf8')))));
  }

  /** Store one publication's bytes and the state after it, then drop the oldest beyond `keep`. */
  async add(instanceId: string, log: string, data: readonly Uint8Array[], publication: Omit<Publication, 'id' | 'createdAt'>, state: Omit<LogState, 'nextId'>, keep: number): Promise<Publication> {
    const dir = this.dir(instanceId, log);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const previous = await this.state(instanceId, log);
    const stored: Publication = { ...publication, id: previous.nextId, createdAt: new Date().toISOString() };
    await writeDurably(join(dir, fileOf(stored.id, 'log')), data);
    await writeDurably(join(dir, fileOf(stored.id, 'json')), [Buffer.from(JSON.stringify(stored))]);
    await writeDurably(join(dir, 'state.json'), [Buffer.from(JSON.stringify({ ...state, nextId: stored.id + 1 } satisfies LogState))]);
    const all = await this.list(instanceId, log);
    for (const old of all.slice(0, Math.max(0, all.length - keep))) await this.removePublication(dir, old.id);
    return stored;
  }

  /** The bytes of one publication, the newest without `id`. */
  async read(instanceId: string, log: string, id?: number): Promise<{ publication: Publication; data: Buffer }> {
    const all = await this.list(instanceId, log);
    const publication = id === undefined ? all.at(-1) : all.find((p) => p.id === id);
    if (!publication) {
      const which = id === undefined ? 'no publication' : `no publication ${id}`;
      throw new BerthError('BERTH_ERR_GUEST_LOG_NOT_PUBLISHED', `log ${log} of instance ${instanceId} has ${which}`, id === undefined ? 'publish the log first' : `publications kept: ${all.map((p) => p.id).join(', ') || 'none'}`);
    }
    return { publication, data: await readFile(join(this.dir(instanceId, log), fileOf(publication.id, 'log'))) };
  }

  /** Trove's discard: every publication and the state go; the next publish starts at the log's beginning. */
  async discard(instanceId: string, log: string): Promise<void> {
    await rm(this.dir(instanceId, log), { recursive: true, force: true });
  }

  /** An instance is gone: its publications go with it. */
  async forget(instanceId: string): Promise<void> {
    if (INSTANCE_ID.test(instanceId)) await rm(join(this.root, instanceId), { recursive: true, force: true });
  }

  private async removePublication(dir: string, id: number): Promise<void> {
    await rm(join(dir, fileOf(id, 'json')), { force: true });
    await rm(join(dir, fileOf(id, 'log')), { force: true });
  }
}

async function writeDurably(path: string, data: readonly Uint8Array[]): Promise<void> {
  const partial = `${path}.partial`;
  const file = await open(partial, 'w', 0o600);
  try {
    for (const chunk of data) await file.write(chunk);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(partial, path);
}
