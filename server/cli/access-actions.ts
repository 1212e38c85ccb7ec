import type { UserRef } from './api-client.js';
import { client, out, outJson, resolveInstance, type OperatorFlags } from './operator-io.js';
import { table } from './table.js';

export interface AccessFlags extends OperatorFlags {
  host?: string;
}

const userOf = (name: string, flags: AccessFlags): UserRef => ({ name, ...(flags.host !== undefined ? { host: flags.host } : {}) });
const label = (user: UserRef) => (user.host === undefined ? user.name : `${user.name}@${user.host}`);

export async function accessList(ref: string, userName: string, flags: AccessFlags): Promise<void> {
  const api = client(flags);
  const target = await resolveInstance(api, ref);
  const user = userOf(userName, flags);
  const result = await api.listAccess(target.id, user);
  if (flags.json) return void outJson(result);
  if (result.databases.length === 0) return void out(`user ${label(user)} has access to no databases on instance ${target.label}`);
  out(table(['DATABASE'], result.databases.map((d) => [d.name])));
}

export async function accessGrant(ref: string, userName: string, databases: string[], flags: AccessFlags): Promise<void> {
  const api = client(flags);
  const target = await resolveInstance(api, ref);
  const user = userOf(userName, flags);
  await api.grantAccess(target.id, user, databases);
  if (!flags.json) out(`granted user ${label(user)} access to ${databases.join(', ')} on instance ${target.label}`);
}

export async function accessRevoke(ref: string, userName: string, database: string, flags: AccessFlags): Promise<void> {
  const api = client(flags);
  const target = await resolveInstance(api, ref);
  const user = userOf(userName, flags);
  await api.revokeAccess(target.id, user, database);
  if (!flags.json) out(`revoked user ${label(user)}'s access to ${database} on instance ${target.label}`);
}
