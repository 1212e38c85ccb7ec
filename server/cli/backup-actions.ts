import { BerthError } from '../../datastores/errors/berth-error.js';
import type { ApiClient, BackupView } from './api-client.js';
import { client, out, outJson, parseSeconds, resolveInstance, UUID, type OperatorFlags } from './operator-io.js';
import { formatBytes } from './output.js';
import { fields, table } from './table.js';

export interface BackupCreateFlags extends OperatorFlags {
  instance: string;
  name: string;
  description?: string;
  parent?: string;
  wait?: boolean;
  waitTimeout: string;
}

const FINISHED = new Set(['COMPLETED', 'FAILED']);
const size = (backup: BackupView) => (backup.size_bytes === null ? undefined : formatBytes(backup.size_bytes));

function renderBackup(backup: BackupView): string {
  return fields([
    ['id', backup.id],
    ['name', backup.name],
    ['description', backup.description ?? undefined],
    ['status', backup.status],
    ['instance', backup.instance_id],
    ['parent', backup.parent_id ?? undefined],
    ['datastore', backup.datastore.type],
    ['version', backup.datastore.version],
    ['size', size(backup)],
    ['checksum', backup.checksum ? `sha256:${backup.checksum}` : undefined],
    ['format', backup.format ?? undefined],
    ['created', backup.created],
    ['updated', backup.updated],
    ['fault', backup.fault?.message],
  ]);
}

/** A backup named by id, or by a name unique in the project (nightly backups share a name: then only the id will do). */
export async function resolveBackup(api: ApiClient, ref: string): Promise<{ id: string; label: string }> {
  if (UUID.test(ref)) return { id: ref, label: ref };
  const matches = (await api.listBackups()).backups.filter((b) => b.name === ref);
  if (matches.length === 0) {
    throw new BerthError('BERTH_ERR_BACKUP_NOT_FOUND', `no backup named ${ref} in project ${api.settings.project}`, '`berth backup list` shows the backups and their ids');
  }
  if (matches.length > 1) {
    throw new BerthError('BERTH_ERR_USAGE', `${matches.length} backups are named ${ref} in project ${api.settings.project}`, `name it by id: ${matches.map((b) => b.id).join(' or ')}`);
  }
  return { id: matches[0]!.id, label: `${ref} (${matches[0]!.id})` };
}

/** Polls until the backup is COMPLETED or FAILED, or the time is up; reports on stderr unless quiet. */
async function waitForBackup(api: ApiClient, backup: BackupView, timeoutMs: number, quiet: boolean): Promise<BackupView> {
  const deadline = Date.now() + timeoutMs;
  let current = backup;
  if (!quiet && !FINISHED.has(current.status)) process.stderr.write(`waiting for backup ${current.name} (${current.id}): ${current.status}\n`);
  while (!FINISHED.has(current.status) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, Math.max(0, deadline - Date.now()))));
    current = (await api.getBackup(backup.id)).backup;
  }
  return current;
}

export async function backupCreate(flags: BackupCreateFlags): Promise<void> {
  const timeoutMs = parseSeconds(flags.waitTimeout, '--wait-timeout') * 1000;
  const api = client(flags);
  const target = await resolveInstance(api, flags.instance);
  const created = await api.createBackup({
    name: flags.name,
    instance: target.id,
    ...(flags.description !== undefined ? { description: flags.description } : {}),
    ...(flags.parent !== undefined ? { parent_id: flags.parent } : {}),
  });
  const { backup } = created;
  if (!flags.json) out(`creating backup ${backup.name} (${backup.id}) of instance ${target.label}: ${backup.status}`);
  if (!flags.wait) return flags.json ? void outJson(created) : undefined;

  const final = await waitForBackup(api, backup, timeoutMs, flags.json === true);
  if (flags.json) outJson({ backup: final });
  if (final.status === 'FAILED') {
    throw new BerthError('BERTH_ERR_BACKUP_STATE', `backup ${final.name} (${final.id}) FAILED${final.fault ? `: ${final.fault.message}` : ''}`, `see \`berth backup show ${final.id}\`; remove it with \`berth backup delete ${final.id}\``);
  }
  if (final.status !== 'COMPLETED') {
    throw new BerthError('BERTH_ERR_RPC_TIMEOUT', `backup ${final.name} (${final.id}) is still ${final.status} after ${timeoutMs / 1000} s`, `follow it with \`berth backup show ${final.id}\`, or wait longer with --wait-timeout`);
  }
  if (!flags.json) out(`backup ${final.name} (${final.id}) is COMPLETED${size(final) ? `: ${size(final)}` : ''}`);
}

export async function backupList(flags: OperatorFlags & { instance?: string }): Promise<void> {
  const api = client(flags);
  const target = flags.instance === undefined ? undefined : await resolveInstance(api, flags.instance);
  const result = await api.listBackups(target?.id);
  if (flags.json) return void outJson(result);
  if (result.backups.length === 0) return void out(target ? `no backups of instance ${target.label}` : `no backups in project ${api.settings.project}`);
  out(table(['ID', 'NAME', 'STATUS', 'INSTANCE', 'SIZE', 'CREATED'], result.backups.map((b) => [b.id, b.name, b.status, b.instance_id, size(b) ?? '', b.created])));
}

export async function backupShow(id: string, flags: OperatorFlags): Promise<void> {
  const result = await client(flags).getBackup(id);
  out(flags.json ? JSON.stringify(result) : renderBackup(result.backup));
}

export async function backupDelete(id: string, flags: OperatorFlags): Promise<void> {
  await client(flags).deleteBackup(id);
  if (!flags.json) out(`deleted backup ${id}`);
}
