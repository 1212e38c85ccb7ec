import { createHash } from 'node:crypto';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { KeyedLock } from '../configurations/keyed-lock.js';
import type { InstanceService } from '../instances/instance-service.js';
import { EMPTY_STATE, type LogState, type Publication, type PublicationStore } from './publication-store.js';

/** The contract's guest-log-info as it crosses the RPC (u64 as bigint, or a number from an older peer). */
interface GuestLogInfo {
  name: string;
  kind: 'user' | 'system';
  status: 'disabled' | 'enabled' | 'unavailable' | 'published' | 'partial' | 'rotated' | 'restart-required';
  size: bigint | number;
}
interface LogChunk {
  data: Uint8Array;
  nextOffset: bigint | number;
  eof: boolean;
}

/** One log as Trove's API shows it (trove/guestagent/guest_log.py GuestLog.show). */
export interface GuestLogView {
  name: string;
  type: 'USER' | 'SYS';
  status: 'Disabled' | 'Enabled' | 'Unavailable' | 'Ready' | 'Published' | 'Partial' | 'Rotated' | 'Restart Required';
  published: number;
  pending: number;
  container: string;
  prefix: string;
  metafile: string;
}

/** Trove's guest_log_action body: each flag 0 or 1. */
export interface LogActionRequest {
  name: string;
  enable?: number;
  disable?: number;
  publish?: number;
  discard?: number;
}

export interface GuestLogServiceOptions {
  instances: InstanceService;
  publications: PublicationStore;
  /** guest_logs.max_publish_bytes */
  maxPublishBytes: number;
  /** guest_logs.max_publications */
  maxPublications: number;
}

/** The label publications show as their container: they are the server's files, not a Swift container. */
export const CONTAINER = 'berth-guest-logs';
/** Well under the host's result_limit (4 MiB by default) once base64 on the guest channel. */
const READ_CHUNK = 256 * 1024;
const HEAD_BYTES = 1024;

const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Trove's guest logs over the contract's guest-log operations: the manager
 * lists its logs and switches user logs on and off; the server publishes,
 * reading a log with guest-log-read in bounded chunks into its own store, and
 * keeps how far it read (Trove's guest agent did this into Swift).
 */
export class GuestLogService {
  private readonly lock = new KeyedLock();

  constructor(private readonly options: GuestLogServiceOptions) {}

  async list(project: string, id: string): Promise<GuestLogView[]> {
    const { instance, logs } = await this.logs(project, id);
    return Promise.all(logs.map(async (log) => this.view(project, instance, log, await this.options.publications.state(instance.id, log.name))));
  }

  /** Trove's order: refuse enable with disable, switch the log (publish enables it), discard, then publish. */
  async action(project: string, id: string, request: LogActionRequest): Promise<GuestLogView> {
    const { name } = request;
    const [enable, disable, publish, discard] = [request.enable, request.disable, request.publish, request.discard].map((flag) => flag === 1);
    if (enable && disable) throw new BerthError('BERTH_ERR_GUEST_LOG_ACTION_INVALID', `log ${name}: enable and disable together`, 'send one of them');
    const { instance, logs } = await this.logs(project, id);
    let log = logs.find((candidate) => candidate.name === name);
    if (!log) throw new BerthError('BERTH_ERR_GUEST_LOG_NOT_FOUND', `instance ${id} has no log ${JSON.stringify(name)}`, `its logs: ${logs.map((l) => l.name).join(', ') || 'none'}`);
    if (log.kind === 'system' && (enable || disable) && !publish) {
      throw new BerthError('BERTH_ERR_GUEST_LOG_ACTION_INVALID', `log ${name} is a system log: it is always on and cannot be ${enable ? 'enabled' : 'disabled'}`, 'publish or discard it instead');
    }
    const turnOn = enable || (publish && !disable);
    if (log.kind === 'user' && ((turnOn && log.status === 'disabled') || (disable && log.status !== 'disabled'))) {
      log = (await this.options.instances.call(project, id, 'guest-log-action', [name, turnOn ? 'enable' : 'disable'])) as GuestLogInfo;
    }
    return this.lock.run(`${instance.id}/${name}`, async () => {
      if (discard) await this.options.publications.discard(instance.id, name);
      if (publish) await this.publish(project, instance.id, log);
      return this.view(project, instance, log, await this.options.publications.state(instance.id, name));
    });
  }

  /** A publication's bytes, the newest without `publication`. */
  async content(project: string, id: string, name: string, publication?: number): Promise<{ publication: Publication; data: Buffer }> {
    const instance = await this.options.instances.get(project, id);
    return this.options.publications.read(instance.id, name, publication);
  }

  async forget(instanceId: string): Promise<void> {
    await this.options.publications.forget(instanceId);
  }

  private async logs(project: string, id: string) {
    const instance = await this.options.instances.get(project, id);
    const logs = (await this.options.instances.call(project, id, 'guest-log-list', [])) as GuestLogInfo[];
    return { instance, logs };
  }

  private read(project: string, id: string, name: string, offset: number, maxBytes: number): Promise<LogChunk> {
    return this.options.instances.call(project, id, 'guest-log-read', [name, BigInt(offset), maxBytes]) as Promise<LogChunk>;
  }

  /** The log was rotated when it is shorter than what was published or begins otherwise. */
  private async rotated(project: string, id: string, log: GuestLogInfo, state: LogState): Promise<boolean> {
    if (state.published === 0) return false;
    if (Number(log.size) < state.published) return true;
    const head = await this.read(project, id, log.name, 0, state.headLength);
    return digest(head.data) !== state.headDigest;
  }

  private async publish(project: string, id: string, log: GuestLogInfo): Promise<void> {
    const { publications, maxPublishBytes, maxPublications } = this.options;
    let state = await publications.state(id, log.name);
    if (await this.rotated(project, id, log, state)) {
      await publications.discard(id, log.name);
      state = EMPTY_STATE;
    }
    const from = state.published;
    const chunks: Uint8Array[] = [];
    let offset = from;
    let eof = false;
    while (!eof && offset - from < maxPublishBytes) {
      const chunk = await this.read(project, id, log.name, offset, Math.min(READ_CHUNK, maxPublishBytes - (offset - from)));
      if (chunk.data.length > 0) chunks.push(chunk.data);
      offset = Number(chunk.nextOffset);
      eof = chunk.eof || chunk.data.length === 0;
    }
    if (offset === from) return;
    const head = from === 0 ? Buffer.concat(chunks).subarray(0, HEAD_BYTES) : undefined;
    const headState = head ? { headDigest: digest(head), headLength: head.length } : { headDigest: state.headDigest, headLength: state.headLength };
    await publications.add(id, log.name, chunks, { from, to: offset, partial: !eof }, { published: offset, ...headState }, maxPublications);
  }

  private async view(project: string, instance: { id: string; datastore: string }, log: GuestLogInfo, state: LogState): Promise<GuestLogView> {
    const size = Number(log.size);
    const rotated = log.status !== 'disabled' && (await this.rotated(project, instance.id, log, state));
    const prefix = `${instance.id}/${instance.datastore}-${log.name}/`;
    return {
      name: log.name,
      type: log.kind === 'user' ? 'USER' : 'SYS',
      status: rotated ? 'Rotated' : statusOf(log, size, state.published),
      published: state.published,
      pending: rotated ? size : Math.max(0, size - state.published),
      // Trove says 'None' until something is published
      container: state.published > 0 ? CONTAINER : 'None',
      prefix: state.published > 0 ? prefix : 'None',
      metafile: `${prefix.replace(/\/$/, '')}_metafile`,
    };
  }
}

function statusOf(log: GuestLogInfo, size: number, published: number): GuestLogView['status'] {
  switch (log.status) {
    case 'disabled':
      return 'Disabled';
    case 'unavailable':
      return 'Unavailable';
    case 'restart-required':
      return 'Restart Required';
    default:
      if (size > published) return published > 0 ? 'Partial' : 'Ready';
      return published > 0 ? 'Published' : 'Enabled';
  }
}
