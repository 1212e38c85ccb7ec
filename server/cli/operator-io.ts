import { BerthError } from '../../datastores/errors/berth-error.js';
import { ApiClient, resolveSettings, type ConnectionFlags } from './api-client.js';

export interface OperatorFlags extends ConnectionFlags {
  json?: boolean;
}

/** An id as the API makes them: a name of this form is taken as an id. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
export const outJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
export const client = (flags: OperatorFlags) => new ApiClient(resolveSettings(flags));

/** An instance named by id, or by a name unique in the project. */
export async function resolveInstance(api: ApiClient, ref: string, flag?: string): Promise<{ id: string; label: string }> {
  if (UUID.test(ref)) return { id: ref, label: ref };
  const matches = (await api.listInstances()).instances.filter((i) => i.name === ref);
  const named = flag === undefined ? '' : `${flag} ${ref}: `;
  if (matches.length === 0) {
    throw new BerthError('BERTH_ERR_INSTANCE_NOT_FOUND', `${named}no instance named ${ref} in project ${api.settings.project}`, '`berth instance list` shows the instances and their ids');
  }
  if (matches.length > 1) {
    throw new BerthError('BERTH_ERR_USAGE', `${named}${matches.length} instances are named ${ref} in project ${api.settings.project}`, `name it by id: ${matches.map((i) => i.id).join(' or ')}`);
  }
  return { id: matches[0]!.id, label: `${ref} (${matches[0]!.id})` };
}

export function parseSeconds(value: string, option: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new BerthError('BERTH_ERR_USAGE', `${option} ${value} is not a positive number of seconds`, `pass for example ${option} 600`);
  return seconds;
}
