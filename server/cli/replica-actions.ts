import { BerthError } from '../../datastores/errors/berth-error.js';
import { isErrorCode, type ErrorCode } from '../../datastores/errors/catalogue.js';
import type { ApiClient, InstanceView } from './api-client.js';
import { client, out, outJson, parseSeconds, resolveInstance, type OperatorFlags } from './operator-io.js';
import { table } from './table.js';

export interface ReplicaWaitFlags extends OperatorFlags {
  wait?: boolean;
  waitTimeout: string;
}

/** Statuses an instance shows while a replication task (seed, promote, eject) still runs on it. */
const BUSY = new Set(['BUILD', 'PROMOTE', 'EJECT']);

const path = (api: ApiClient, id: string, tail = '') => api.projectPath(`/instances/${encodeURIComponent(id)}${tail}`);

/** `--auto-failover on|off` (and `default` where the instance may go back to its version's option) as berth_auto_failover. */
export function parseAutoFailover(value: string, allowDefault: boolean): boolean | null {
  if (value === 'on') return true;
  if (value === 'off') return false;
  if (allowDefault && value === 'default') return null;
  throw new BerthError('BERTH_ERR_USAGE', `--auto-failover ${value}: must be on or off${allowDefault ? ' (or default)' : ''}`, `pass --auto-failover on or --auto-failover off${allowDefault ? "; default returns to the datastore version's option" : ''}`);
}

/** The replication flags of `instance create`, checked before anything is sent. */
export interface ReplicaCreateFlags {
  datastore?: string;
  replicaOf?: string;
  replicaCount?: string;
  database: string[];
  backup?: string;
  autoFailover?: string;
}

export function checkReplicaFlags(flags: ReplicaCreateFlags): { replicaCount?: number; autoFailover?: boolean } {
  if (flags.replicaOf === undefined) {
    if (flags.replicaCount !== undefined) throw new BerthError('BERTH_ERR_USAGE', '--replica-count needs --replica-of', 'name the source with --replica-of <instance>, or drop --replica-count');
    if (flags.datastore === undefined) throw new BerthError('BERTH_ERR_USAGE', '--datastore is required (unless --replica-of names a source)', 'pass --datastore <type> (`berth datastore list` shows them), or --replica-of <instance> for a replica');
  } else {
    if (flags.database.length > 0) throw new BerthError('BERTH_ERR_USAGE', '--database cannot be given with --replica-of: a replica has its source\'s databases', 'drop --database');
    if (flags.backup !== undefined) throw new BerthError('BERTH_ERR_USAGE', '--backup cannot be given with --replica-of: a replica is seeded from its source', 'drop --backup, or restore the backup into a standalone instance');
  }
  let replicaCount: number | undefined;
  if (flags.replicaCount !== undefined) {
    if (!/^[0-9]+$/.test(flags.replicaCount) || Number(flags.replicaCount) < 1 || Number(flags.replicaCount) > 10) {
      throw new BerthError('BERTH_ERR_USAGE', `--replica-count ${flags.replicaCount}: must be a whole number from 1 to 10`, 'pass e.g. --replica-count 2');
    }
    replicaCount = Number(flags.replicaCount);
  }
  const autoFailover = flags.autoFailover === undefined ? undefined : (parseAutoFailover(flags.autoFailover, false) as boolean);
  return { ...(replicaCount !== undefined ? { replicaCount } : {}), ...(autoFailover !== undefined ? { autoFailover } : {}) };
}

/** `berth instance update`: what a PATCH of the instance may change from the CLI. */
export async function instanceUpdate(ref: string, flags: OperatorFlags & { autoFailover?: string; name?: string }): Promise<void> {
  if (flags.autoFailover === undefined && flags.name === undefined) throw new BerthError('BERTH_ERR_USAGE', 'nothing to update', 'pass --auto-failover on|off|default or --name <new name>');
  const autoFailover = flags.autoFailover === undefined ? undefined : parseAutoFailover(flags.autoFailover, true);
  const api = client(flags);
  const target = await resolveInstance(api, ref);
  await api.request('PATCH', path(api, target.id), { instance: { ...(autoFailover !== undefined ? { berth_auto_failover: autoFailover } : {}), ...(flags.name !== undefined ? { name: flags.name } : {}) } });
  const shown = (await api.getInstance(target.id)).instance;
  if (flags.json) return void outJson({ instance: shown });
  out(`updated instance ${target.label}${autoFailover !== undefined ? `: automatic failover ${autoFailover === null ? `back to the version's option (${shown.berth_auto_failover === true ? 'on' : 'off'})` : autoFailover ? 'on' : 'off'}` : ''}`);
}

/** `berth replica list <source>`: the source's replicas as the API's instance views. */
export async function replicaList(ref: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const source = (await api.getInstance((await resolveInstance(api, ref)).id)).instance;
  const all = (await api.listInstances()).instances;
  const replicas = all.filter((i) => i.replica_of?.id === source.id);
  if (flags.json) return void outJson({ instances: replicas });
  if (source.replica_of) out(`${source.name} is itself a replica of ${all.find((i) => i.id === source.replica_of!.id)?.name ?? source.replica_of.id}`);
  if (replicas.length === 0) return void out(`no replicas of instance ${source.name} (${source.id})`);
  out(table(['ID', 'NAME', 'STATUS', 'DATASTORE', 'VERSION'], replicas.map((i) => [i.id, i.name, i.status, i.datastore.type, i.datastore.version])));
}

/** What a replication action should leave, read from the views of the instances it involves. */
type Settled = (views: ReadonlyMap<string, InstanceView>) => boolean;

/** The catalogue code a fault leads with (`BERTH_ERR_...: ...`), else the replication failure. */
function codeOfFault(message: string): ErrorCode {
  const lead = /^BERTH_ERR_[A-Z0-9_]+/.exec(message)?.[0];
  return lead !== undefined && isErrorCode(lead) ? lead : 'BERTH_ERR_REPLICATION_FAILED';
}

/**
 * Polls the involved instances until none is busy (PROMOTE, EJECT, BUILD) and
 * `settled` holds, or one shows a fault it did not have before the action.
 * Works with a synchronous action (settled at the first look) and with one
 * that answers 202 and runs as a task.
 */
async function waitForReplication(api: ApiClient, ids: readonly string[], before: ReadonlyMap<string, InstanceView>, settled: Settled, flags: ReplicaWaitFlags, what: string): Promise<Map<string, InstanceView>> {
  const timeoutMs = parseSeconds(flags.waitTimeout, '--wait-timeout') * 1000;
  const deadline = Date.now() + timeoutMs;
  let reported = '';
  for (;;) {
    const views = new Map<string, InstanceView>();
    for (const id of ids) views.set(id, (await api.getInstance(id)).instance);
    const busy = [...views.values()].filter((v) => BUSY.has(v.status));
    const faulted = [...views.values()].find((v) => v.status === 'ERROR' && v.fault !== undefined && v.fault.message !== before.get(v.id)?.fault?.message && !v.fault.message.startsWith('BERTH_ERR_REPLICA_FENCED'));
    if (busy.length === 0 && faulted) {
      throw new BerthError(codeOfFault(faulted.fault!.message), `${what}: instance ${faulted.name} (${faulted.id}) went to ERROR: ${faulted.fault!.message}`, `see \`berth instance show ${faulted.id}\` and \`berth replica list\` for where each instance stands`);
    }
    if (busy.length === 0 && settled(views)) return views;
    const state = [...views.values()].map((v) => `${v.name} ${v.status}`).join(', ');
    if (!flags.json && state !== reported) {
      process.stderr.write(`waiting for ${what}: ${state}\n`);
      reported = state;
    }
    if (Date.now() >= deadline) {
      throw new BerthError('BERTH_ERR_RPC_TIMEOUT', `${what} has not ended after ${flags.waitTimeout} s (${state})`, 'wait longer (--wait-timeout) or look again with `berth instance show`');
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, Math.max(0, deadline - Date.now()))));
  }
}

const views = async (api: ApiClient, ids: readonly string[]) => new Map(await Promise.all(ids.map(async (id) => [id, (await api.getInstance(id)).instance] as const)));
const active = (view: InstanceView | undefined) => view?.status === 'ACTIVE';

function report(flags: OperatorFlags, text: string, settled: ReadonlyMap<string, InstanceView> | undefined, accepted: Record<string, string>): void {
  if (flags.json) return void outJson(settled ? { instances: [...settled.values()] } : accepted);
  out(text);
}

/** `berth replica detach`: the replica stops following its source and takes writes (Trove's detach-replica). */
export async function replicaDetach(ref: string, flags: ReplicaWaitFlags): Promise<void> {
  const api = client(flags);
  const replica = (await api.getInstance((await resolveInstance(api, ref)).id)).instance;
  if (!replica.replica_of) throw new BerthError('BERTH_ERR_REPLICATION_ROLE', `instance ${replica.name} (${replica.id}) is no replica: it has nothing to detach from`, '`berth replica list <source>` shows the replicas of a source');
  const before = await views(api, [replica.id]);
  await api.request('PATCH', path(api, replica.id), { instance: { replica_of: null } });
  const settled = flags.wait ? await waitForReplication(api, [replica.id], before, (v) => v.get(replica.id)!.replica_of === undefined && active(v.get(replica.id)), flags, `the detach of ${replica.name}`) : undefined;
  report(flags, `detached instance ${replica.name} (${replica.id}) from its source${settled ? ': ACTIVE, standalone' : ''}`, settled, { detached: replica.id });
}

/** `berth replica promote`: the replica becomes the source, the old source and the other replicas follow it (a switchover). */
export async function replicaPromote(ref: string, flags: ReplicaWaitFlags): Promise<void> {
  const api = client(flags);
  const candidate = (await api.getInstance((await resolveInstance(api, ref)).id)).instance;
  const sourceId = candidate.replica_of?.id;
  if (sourceId === undefined) throw new BerthError('BERTH_ERR_REPLICATION_ROLE', `instance ${candidate.name} (${candidate.id}) is no replica: only a replica can be promoted`, '`berth replica list <source>` shows the replicas of a source');
  const followers = (await api.getInstance(sourceId)).instance.replicas?.map((r) => r.id).filter((id) => id !== candidate.id) ?? [];
  const ids = [candidate.id, sourceId, ...followers];
  const before = await views(api, ids);
  await api.request('POST', path(api, candidate.id, '/action'), { promote_to_replica_source: {} });
  const settled = flags.wait
    ? await waitForReplication(api, ids, before, (v) => v.get(candidate.id)!.replica_of === undefined && ids.slice(1).every((id) => v.get(id)!.replica_of?.id === candidate.id) && ids.every((id) => active(v.get(id))), flags, `the promotion of ${candidate.name}`)
    : undefined;
  report(flags, settled ? `promoted instance ${candidate.name} (${candidate.id}): it is the source, ${ids.length - 1} instance(s) follow it, all ACTIVE` : `promoting instance ${candidate.name} (${candidate.id}) to replication source`, settled, { promoting: candidate.id });
}

/** `berth replica eject`: a source that is gone is replaced by its most advanced replica, and fenced (Trove's eject-replica-source). */
export async function replicaEject(ref: string, flags: ReplicaWaitFlags): Promise<void> {
  const api = client(flags);
  const source = (await api.getInstance((await resolveInstance(api, ref)).id)).instance;
  const replicas = source.replicas?.map((r) => r.id) ?? [];
  if (replicas.length === 0) throw new BerthError('BERTH_ERR_REPLICATION_ROLE', `instance ${source.name} (${source.id}) has no replicas: there is no source to eject`, 'eject the source of a replica set (`berth replica list <source>`)');
  const ids = [source.id, ...replicas];
  const before = await views(api, ids);
  await api.request('POST', path(api, source.id, '/action'), { eject_replica_source: {} });
  // the new shape: the old source follows one of its replicas (fenced), which follows none; the others follow it
  const settled = flags.wait
    ? await waitForReplication(api, ids, before, (v) => {
        const primary = v.get(source.id)!.replica_of?.id;
        return primary !== undefined && replicas.includes(primary) && v.get(primary)!.replica_of === undefined && replicas.every((id) => id === primary || v.get(id)!.replica_of?.id === primary) && replicas.every((id) => active(v.get(id)));
      }, flags, `the eject of ${source.name}`)
    : undefined;
  const primary = settled?.get(settled.get(source.id)!.replica_of!.id);
  report(flags, primary ? `ejected instance ${source.name} (${source.id}): ${primary.name} (${primary.id}) is the source now; ${source.name} is fenced (delete it)` : `ejecting instance ${source.name} (${source.id})`, settled, { ejecting: source.id });
}

/** With replica_count N the API answers the first replica; the others are named <name>-2 .. <name>-N and follow the same source. */
export async function siblingReplicas(api: ApiClient, first: InstanceView, sourceId: string, count: number): Promise<InstanceView[]> {
  if (count <= 1) return [];
  const stem = first.name.replace(/-1$/, '');
  const wanted = new Set(Array.from({ length: count - 1 }, (_, i) => `${stem}-${i + 2}`));
  return (await api.listInstances()).instances.filter((i) => wanted.has(i.name) && i.replica_of?.id === sourceId);
}
