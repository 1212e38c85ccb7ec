import { BerthError } from '../../datastores/errors/berth-error.js';
import type { GuestLogView } from './api-client.js';
import { client, out, outJson, resolveInstance, type OperatorFlags } from './operator-io.js';
import { fields, table } from './table.js';

export type LogAction = 'enable' | 'disable' | 'publish' | 'discard';

function renderLog(log: GuestLogView): string {
  return fields([
    ['name', log.name],
    ['type', log.type],
    ['status', log.status],
    ['published', `${log.published} bytes`],
    ['pending', `${log.pending} bytes`],
  ]);
}

/** `berth instance log list <instance>`: the datastore's logs, as Trove lists them. */
export async function logList(ref: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const result = await api.listLogs((await resolveInstance(api, ref)).id);
  if (flags.json) return void outJson(result);
  out(table(['NAME', 'TYPE', 'STATUS', 'PUBLISHED', 'PENDING'], result.logs.map((log) => [log.name, log.type, log.status, String(log.published), String(log.pending)])));
}

/** `berth instance log enable|disable|publish|discard <instance> <name>`, and show (no action). */
export async function logAction(action: LogAction | undefined, ref: string, name: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const result = await api.logAction((await resolveInstance(api, ref)).id, name, action);
  out(flags.json ? JSON.stringify(result) : renderLog(result.log));
}

/** `berth instance log content <instance> <name>`: a publication's text as it is; what it is on stderr. */
export async function logContent(ref: string, name: string, flags: OperatorFlags & { publication?: string }): Promise<void> {
  const publication = flags.publication === undefined ? undefined : Number(flags.publication);
  if (publication !== undefined && !(Number.isInteger(publication) && publication > 0)) {
    throw new BerthError('BERTH_ERR_USAGE', `--publication ${flags.publication} is not a publication number`, 'pass a positive integer, or leave it out for the newest');
  }
  const api = client(flags);
  const { text, headers } = await api.logContent((await resolveInstance(api, ref)).id, name, publication);
  process.stdout.write(text);
  if (headers.get('x-berth-publication-partial') === 'true') {
    process.stderr.write(`publication ${headers.get('x-berth-publication')} is partial (bytes ${headers.get('x-berth-publication-range')}): publish again for the rest\n`);
  }
}
