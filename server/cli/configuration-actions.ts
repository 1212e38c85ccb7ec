import { BerthError } from '../../datastores/errors/berth-error.js';
import type { ApiClient, ConfigurationValue, ConfigurationView } from './api-client.js';
import { client, out, outJson, resolveInstance, UUID, type OperatorFlags } from './operator-io.js';
import { fields, table } from './table.js';

export interface ConfigurationCreateFlags extends OperatorFlags {
  datastore: string;
  version?: string;
  description?: string;
  value: string[];
}

/** What reads as a JSON number, boolean or quoted string; anything else is text as typed. */
const JSON_SCALAR = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|".*")$/s;

/** `key=value` pairs as a group's values: 5000 is a number, true a boolean, "5000" (quoted) and 8MB are text. */
export function parseValues(pairs: readonly string[], option = '--value'): Record<string, ConfigurationValue> {
  const values: Record<string, ConfigurationValue> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new BerthError('BERTH_ERR_USAGE', `${option} ${pair} is not key=value`, `pass for example ${option} work_mem=8MB`);
    const raw = pair.slice(at + 1);
    values[pair.slice(0, at)] = JSON_SCALAR.test(raw) ? (JSON.parse(raw) as ConfigurationValue) : raw;
  }
  return values;
}

const shown = (value: ConfigurationValue) => (typeof value === 'string' ? value : JSON.stringify(value));

/** A configuration group named by id, or by a name unique in the project. */
export async function resolveConfiguration(api: ApiClient, ref: string): Promise<{ id: string; label: string }> {
  if (UUID.test(ref)) return { id: ref, label: ref };
  const matches = (await api.listConfigurations()).configurations.filter((c) => c.name === ref);
  if (matches.length === 0) {
    throw new BerthError('BERTH_ERR_CONFIGURATION_NOT_FOUND', `no configuration group named ${ref} in project ${api.settings.project}`, '`berth configuration list` shows them and their ids');
  }
  if (matches.length > 1) {
    throw new BerthError('BERTH_ERR_USAGE', `${matches.length} configuration groups are named ${ref} in project ${api.settings.project}`, `name it by id: ${matches.map((c) => c.id).join(' or ')}`);
  }
  return { id: matches[0]!.id, label: `${ref} (${matches[0]!.id})` };
}

function renderConfiguration(group: ConfigurationView, instances: ReadonlyArray<{ id: string; name: string }>): string {
  const header = fields([
    ['id', group.id],
    ['name', group.name],
    ['description', group.description ?? undefined],
    ['datastore', group.datastore.type],
    ['version', group.datastore.version],
    ['instances', instances.length > 0 ? instances.map((i) => `${i.name} (${i.id})`).join(', ') : 'none attached'],
    ['created', group.created],
    ['updated', group.updated],
  ]);
  const entries = Object.entries(group.values);
  return entries.length === 0 ? `${header}\n\nno values` : `${header}\n\n${table(['SETTING', 'VALUE'], entries.map(([key, value]) => [key, shown(value)]))}`;
}

export async function configurationCreate(name: string, flags: ConfigurationCreateFlags): Promise<void> {
  const values = parseValues(flags.value);
  const created = await client(flags).createConfiguration({
    name,
    datastore: { type: flags.datastore, ...(flags.version !== undefined ? { version: flags.version } : {}) },
    ...(flags.description !== undefined ? { description: flags.description } : {}),
    values,
  });
  if (flags.json) return void outJson(created);
  const { configuration: group } = created;
  const count = Object.keys(group.values).length;
  out(`created configuration group ${group.name} (${group.id}) for ${group.datastore.type} ${group.datastore.version}: ${count} value${count === 1 ? '' : 's'}`);
}

export async function configurationList(flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const result = await api.listConfigurations();
  if (flags.json) return void outJson(result);
  if (result.configurations.length === 0) return void out(`no configuration groups in project ${api.settings.project}`);
  out(table(['ID', 'NAME', 'DATASTORE', 'VERSION', 'DESCRIPTION'], result.configurations.map((c) => [c.id, c.name, c.datastore.type, c.datastore.version, c.description ?? ''])));
}

export async function configurationShow(ref: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const { id } = await resolveConfiguration(api, ref);
  const result = await api.getConfiguration(id);
  if (flags.json) return void outJson(result);
  out(renderConfiguration(result.configuration, (await api.configurationInstances(id)).instances));
}

/** PATCH: these values merged into the group's, and into every instance it is attached to. */
export async function configurationSet(ref: string, pairs: string[], flags: OperatorFlags): Promise<void> {
  const values = parseValues(pairs, 'setting');
  const api = client(flags);
  const target = await resolveConfiguration(api, ref);
  await api.mergeConfigurationValues(target.id, values);
  if (!flags.json) out(`set ${Object.keys(values).join(', ')} in configuration group ${target.label}`);
}

/** PUT with the group's values minus these settings: removed from the group and from its instances. */
export async function configurationUnset(ref: string, keys: string[], flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const target = await resolveConfiguration(api, ref);
  const { values } = (await api.getConfiguration(target.id)).configuration;
  const absent = keys.filter((key) => !Object.hasOwn(values, key));
  if (absent.length > 0) throw new BerthError('BERTH_ERR_USAGE', `configuration group ${target.label} has no ${absent.join(', ')}`, `\`berth configuration show ${target.id}\` lists its settings`);
  await api.replaceConfigurationValues(target.id, Object.fromEntries(Object.entries(values).filter(([key]) => !keys.includes(key))));
  if (!flags.json) out(`removed ${keys.join(', ')} from configuration group ${target.label}`);
}

export async function configurationDelete(ref: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const target = await resolveConfiguration(api, ref);
  await api.deleteConfiguration(target.id);
  if (!flags.json) out(`deleted configuration group ${target.label}`);
}

export async function configurationAttach(instanceRef: string, ref: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const instance = await resolveInstance(api, instanceRef);
  const group = await resolveConfiguration(api, ref);
  await api.setInstanceConfiguration(instance.id, group.id);
  if (!flags.json) out(`attached configuration group ${group.label} to instance ${instance.label}`);
}

export async function configurationDetach(instanceRef: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const instance = await resolveInstance(api, instanceRef);
  const attached = (await api.getInstance(instance.id)).instance.configuration;
  await api.setInstanceConfiguration(instance.id, null);
  if (!flags.json) out(attached ? `detached configuration group ${attached.name} (${attached.id}) from instance ${instance.label}` : `instance ${instance.label} has no configuration group attached`);
}
