import { BerthError } from '../../datastores/errors/berth-error.js';
import type { ApiClient, CreatedInstance, DatabaseView, InstanceView } from './api-client.js';
import { resolveBackup } from './backup-actions.js';
import { resolveConfiguration } from './configuration-actions.js';
import { client, out, outJson, parseSeconds, resolveInstance, type OperatorFlags } from './operator-io.js';
import { checkReplicaFlags, siblingReplicas, type ReplicaCreateFlags } from './replica-actions.js';
import { fields, table } from './table.js';

export type { OperatorFlags } from './operator-io.js';

function ports(instance: InstanceView): string {
  const rules = instance.security_groups.flatMap((g) => g.rules);
  return rules.map((r) => `${r.protocol} ${r.from_port === r.to_port ? r.from_port : `${r.from_port}-${r.to_port}`}`).join(', ');
}

function renderInstance(instance: InstanceView): string {
  return fields([
    ['id', instance.id],
    ['name', instance.name],
    ['status', instance.status],
    ['service status', instance.service_status ?? undefined],
    ['datastore', instance.datastore.type],
    ['version', instance.datastore.version],
    ['flavor', instance.flavor?.id],
    ['volume', instance.volume?.size == null ? undefined : `${instance.volume.size} GB${instance.volume.used === undefined ? '' : `, ${instance.volume.used} GB used`}`],
    ['replica of', instance.replica_of?.id],
    ['replicas', instance.replicas?.map((r) => r.id).join(', ')],
    ['auto failover', instance.berth_auto_failover === undefined ? undefined : instance.berth_auto_failover ? 'on' : 'off'],
    ['configuration', instance.configuration ? `${instance.configuration.name} (${instance.configuration.id})` : undefined],
    ['connect to', instance.addresses?.[0] && instance.port ? `${instance.addresses[0].address}:${instance.port}` : undefined],
    ['security group', ports(instance) || undefined],
    ['created', instance.created],
    ['updated', instance.updated],
    ['fault', instance.fault?.message],
  ]);
}

export async function datastoreList(flags: OperatorFlags): Promise<void> {
  const result = await client(flags).listDatastores();
  if (flags.json) return void outJson(result);
  if (result.datastores.length === 0) return void out('no datastores: the server config has none');
  out(
    table(
      ['NAME', 'DEFAULT VERSION', 'VERSIONS'],
      result.datastores.map((d) => [d.name, d.versions.find((v) => v.id === d.default_version)?.name ?? d.default_version, d.versions.map((v) => (v.active ? v.name : `${v.name} (inactive)`)).join(', ')]),
    ),
  );
}

/** Polls until the instance leaves BUILD for ACTIVE or ERROR; reports status changes on stderr. */
async function waitForInstance(api: ApiClient, instance: InstanceView, timeoutMs: number, quiet: boolean): Promise<InstanceView> {
  const deadline = Date.now() + timeoutMs;
  let current = instance;
  let reported = '';
  for (;;) {
    if (current.status === 'ACTIVE' || current.status === 'ERROR') return current;
    if (!quiet && current.status !== reported) {
      process.stderr.write(`waiting for ${current.name} (${current.id}) to become ACTIVE: ${current.status}\n`);
      reported = current.status;
    }
    if (Date.now() >= deadline) return current;
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, Math.max(0, deadline - Date.now()))));
    current = (await api.getInstance(instance.id)).instance;
  }
}

function parseGigabytes(text: string, flag: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(text)) throw new BerthError('BERTH_ERR_VALIDATION', `${flag}: "${text}" is not a whole number of GB`, `give e.g. ${flag} 10`);
  return Number(text);
}

export async function instanceResizeVolume(ref: string, size: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const instance = await resolveInstance(api, ref);
  await api.request('POST', api.projectPath(`/instances/${encodeURIComponent(instance.id)}/action`), { resize: { volume: { size: parseGigabytes(size, '<size>') } } });
  if (flags.json) return void outJson({ resized: instance.id, size: Number(size) });
  out(`resizing the volume of instance ${instance.label} to ${size} GB`);
}

/** Trove's upgrade: the instance's guest on another version of its datastore; with --wait until it has ended. */
export async function instanceUpgrade(ref: string, version: string, flags: OperatorFlags & { wait?: boolean; waitTimeout: string }): Promise<void> {
  const timeoutMs = parseSeconds(flags.waitTimeout, '--wait-timeout') * 1000;
  const api = client(flags);
  const target = await resolveInstance(api, ref);
  await api.request('PATCH', api.projectPath(`/instances/${encodeURIComponent(target.id)}`), { instance: { datastore_version: version } });
  if (!flags.wait) {
    if (flags.json) return void outJson({ upgrading: target.id, datastore_version: version });
    return void out(`upgrading instance ${target.label} to version ${version}`);
  }
  const ended = await waitForInstance(api, (await api.getInstance(target.id)).instance, timeoutMs, flags.json === true);
  out(flags.json ? JSON.stringify({ instance: ended }) : renderInstance(ended));
  if (ended.status === 'UPGRADE') throw new BerthError('BERTH_ERR_RPC_TIMEOUT', `instance ${target.label} is still upgrading after ${flags.waitTimeout} s`, 'wait longer (--wait-timeout) or look again with `berth instance show`');
  const fault = ended.fault?.message;
  if (fault?.startsWith('BERTH_ERR_UPGRADE_')) throw new BerthError(fault.startsWith('BERTH_ERR_UPGRADE_INTERRUPTED') ? 'BERTH_ERR_UPGRADE_INTERRUPTED' : 'BERTH_ERR_UPGRADE_FAILED', `instance ${target.label} stayed on version ${ended.datastore.version}: ${fault}`);
}

export async function instanceCreate(
  name: string,
  flags: OperatorFlags & ReplicaCreateFlags & { version?: string; configuration?: string; flavor?: string; size?: string; wait?: boolean; waitTimeout: string },
): Promise<void> {
  const timeoutMs = parseSeconds(flags.waitTimeout, '--wait-timeout') * 1000;
  const replication = checkReplicaFlags(flags);
  const api = client(flags);
  const replicaOf = flags.replicaOf === undefined ? undefined : (await resolveInstance(api, flags.replicaOf, '--replica-of')).id;
  const configuration = flags.configuration === undefined ? undefined : (await resolveConfiguration(api, flags.configuration)).id;
  const backup = flags.backup === undefined ? undefined : await resolveBackup(api, flags.backup);
  const created: CreatedInstance = await api.createInstance({
    name,
    ...(flags.datastore !== undefined ? { datastore: { type: flags.datastore, ...(flags.version !== undefined ? { version: flags.version } : {}) } } : {}),
    ...(replicaOf !== undefined ? { replica_of: replicaOf } : {}),
    ...(replication.replicaCount !== undefined ? { replica_count: replication.replicaCount } : {}),
    ...(replication.autoFailover !== undefined ? { berth_auto_failover: replication.autoFailover } : {}),
    ...(flags.database.length ? { databases: flags.database.map((d) => ({ name: d })) } : {}),
    ...(configuration !== undefined ? { configuration } : {}),
    ...(backup !== undefined ? { restorePoint: { backupRef: backup.id } } : {}),
    ...(flags.flavor !== undefined ? { flavorRef: flags.flavor } : {}),
    ...(flags.size !== undefined ? { volume: { size: parseGigabytes(flags.size, '--size') } } : {}),
  });
  const { password, ...instance } = created.instance;
  if (!flags.json) {
    const from = backup ? ` from backup ${backup.label}` : replicaOf !== undefined ? `, a replica of ${flags.replicaOf}${(replication.replicaCount ?? 1) > 1 ? ` (the first of ${replication.replicaCount}, named ${name}-1 .. ${name}-${replication.replicaCount})` : ''}` : '';
    out(`created instance ${instance.name} (${instance.id})${from}: ${instance.status}, ${instance.datastore.type} ${instance.datastore.version}`);
    // shown before any waiting, so a failed wait cannot lose it
    if (password) out(`root password: ${password}\n  (shown only this once: keep it now)`);
    if (created.guest_config) out(`guest config for the database server (/etc/berth/guest.toml; shown only this once):\n${created.guest_config}`);
  }
  if (!flags.wait) return flags.json ? void outJson(created) : undefined;

  const deadline = Date.now() + timeoutMs;
  const final = await waitForInstance(api, instance, timeoutMs, flags.json === true);
  // replica_count N: name-2 .. name-N are waited for too, each must end ACTIVE
  const siblings = replicaOf === undefined ? [] : await siblingReplicas(api, final, replicaOf, replication.replicaCount ?? 1);
  const others: InstanceView[] = [];
  for (const sibling of siblings) others.push(await waitForInstance(api, sibling, Math.max(0, deadline - Date.now()), flags.json === true));
  if (flags.json) outJson({ ...created, instance: { ...final, ...(password ? { password } : {}) }, ...(others.length ? { replicas: others } : {}) });
  for (const ended of [final, ...others]) checkEnded(ended, timeoutMs);
  if (!flags.json) out(`instance ${final.name} (${final.id}) is ACTIVE${others.length ? `, and so are ${others.map((o) => o.name).join(', ')}` : ''}`);
}

function checkEnded(final: InstanceView, timeoutMs: number): void {
  if (final.status === 'ERROR') {
    throw new BerthError('BERTH_ERR_INSTANCE_STATE', `instance ${final.name} (${final.id}) went to ERROR${final.fault ? `: ${final.fault.message}` : ''}`, `see \`berth instance show ${final.id}\`; remove it with \`berth instance delete ${final.id}\``);
  }
  if (final.status !== 'ACTIVE') {
    throw new BerthError('BERTH_ERR_RPC_TIMEOUT', `instance ${final.name} (${final.id}) is still ${final.status} after ${timeoutMs / 1000} s`, `follow it with \`berth instance show ${final.id}\`, or wait longer with --wait-timeout`);
  }
}

export async function instanceList(flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const result = await api.listInstances();
  if (flags.json) return void outJson(result);
  if (result.instances.length === 0) return void out(`no instances in project ${api.settings.project}`);
  // a REPLICA OF column (the source's name) only where the project has replicas
  const names = new Map(result.instances.map((i) => [i.id, i.name]));
  const replicaOf = (i: InstanceView) => (i.replica_of ? (names.get(i.replica_of.id) ?? i.replica_of.id) : '');
  if (!result.instances.some((i) => i.replica_of)) return void out(table(['ID', 'NAME', 'STATUS', 'DATASTORE', 'VERSION'], result.instances.map((i) => [i.id, i.name, i.status, i.datastore.type, i.datastore.version])));
  out(table(['ID', 'NAME', 'STATUS', 'DATASTORE', 'VERSION', 'REPLICA OF'], result.instances.map((i) => [i.id, i.name, i.status, i.datastore.type, i.datastore.version, replicaOf(i)])));
}

export async function instanceShow(ref: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const result = await api.getInstance((await resolveInstance(api, ref)).id);
  out(flags.json ? JSON.stringify(result) : renderInstance(result.instance));
}

export async function instanceFilesystem(ref: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const result = await api.instanceFilesystem((await resolveInstance(api, ref)).id);
  const { total, used, free, block_size } = result.filesystem;
  const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  out(flags.json ? JSON.stringify(result) : `total ${gib(total)}  used ${gib(used)}  free ${gib(free)}  (block size ${block_size} B)`);
}

export async function instanceRestart(ref: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const target = await resolveInstance(api, ref);
  await api.restartInstance(target.id);
  if (!flags.json) out(`restarted instance ${target.label}`);
}

/** Stop or start the instance's datastore; a stopped one stays down across a reboot of its guest until started. */
export async function instanceStopStart(action: 'stop' | 'start', ref: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const target = await resolveInstance(api, ref);
  await api.instanceAction(target.id, action);
  if (!flags.json) out(`${action === 'stop' ? 'stopped' : 'started'} the datastore of instance ${target.label}`);
}

export async function instanceDelete(ref: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const target = await resolveInstance(api, ref);
  await api.deleteInstance(target.id);
  if (!flags.json) out(`deleted instance ${target.label}`);
}

export async function databaseList(ref: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const target = await resolveInstance(api, ref);
  // every page, following the markers
  const databases: DatabaseView[] = [];
  const seen = new Set<string>();
  let marker: string | undefined;
  do {
    const page = await api.listDatabases(target.id, marker);
    databases.push(...page.databases);
    marker = page.next !== undefined && !seen.has(page.next) ? page.next : undefined;
    if (marker !== undefined) seen.add(marker);
  } while (marker !== undefined);
  if (flags.json) return void outJson({ databases });
  if (databases.length === 0) return void out(`no databases on instance ${target.label}`);
  out(table(['NAME', 'CHARACTER SET', 'COLLATE'], databases.map((d) => [d.name, d.character_set ?? '', d.collate ?? ''])));
}

export async function databaseCreate(ref: string, name: string, flags: OperatorFlags & { characterSet?: string; collate?: string }): Promise<void> {
  const api = client(flags);
  const target = await resolveInstance(api, ref);
  await api.createDatabases(target.id, [
    { name, ...(flags.characterSet !== undefined ? { character_set: flags.characterSet } : {}), ...(flags.collate !== undefined ? { collate: flags.collate } : {}) },
  ]);
  if (!flags.json) out(`created database ${name} on instance ${target.label}`);
}

export async function databaseDelete(ref: string, name: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const target = await resolveInstance(api, ref);
  await api.deleteDatabase(target.id, name);
  if (!flags.json) out(`deleted database ${name} on instance ${target.label}`);
}

export async function userList(ref: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const target = await resolveInstance(api, ref);
  const result = await api.listUsers(target.id);
  if (flags.json) return void outJson(result);
  if (result.users.length === 0) return void out(`no users on instance ${target.label}`);
  // a HOST column only where the datastore qualifies users by host (MySQL's 'user'@'host'): elsewhere host is Trove's "%" filler
  if (result.user_hosts === false) return void out(table(['NAME', 'DATABASES'], result.users.map((u) => [u.name, u.databases.map((d) => d.name).join(', ')])));
  out(table(['NAME', 'HOST', 'DATABASES'], result.users.map((u) => [u.name, u.host, u.databases.map((d) => d.name).join(', ')])));
}

export async function userCreate(ref: string, name: string, flags: OperatorFlags & { password: string; host?: string; database: string[] }): Promise<void> {
  const api = client(flags);
  const target = await resolveInstance(api, ref);
  await api.createUsers(target.id, [
    { name, password: flags.password, ...(flags.host !== undefined ? { host: flags.host } : {}), databases: flags.database.map((d) => ({ name: d })) },
  ]);
  if (!flags.json) out(`created user ${name} on instance ${target.label}`);
}

export async function rootEnable(ref: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const target = await resolveInstance(api, ref);
  const result = await api.enableRoot(target.id);
  if (flags.json) return void outJson(result);
  out(`root enabled on instance ${target.label}\n${fields([['user', result.user.name], ['password', result.user.password]], '  ')}\n  (shown only this once: keep it now)`);
}

export async function rootShow(ref: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const target = await resolveInstance(api, ref);
  const result = await api.rootEnabled(target.id);
  if (flags.json) return void outJson(result);
  out(`root is ${result.rootEnabled ? 'enabled' : 'not enabled'} on instance ${target.label}`);
}
