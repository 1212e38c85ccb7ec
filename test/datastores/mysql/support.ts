import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { expect } from 'vitest';
import { mysqlDatastore } from '../../../server/registry/builtin-datastores.js';
import { apiRequest, waitFor, type ApiResponse } from '../../support/server.js';

export { MYSQL_MANAGER, requireMariadb } from '../../support/mariadb-programs.js';

/** One datastore of the family for the test server's config, its version built from the real manager. */
export function familyDatastore(name: 'mysql' | 'percona' | 'mariadb', guest: Record<string, string> = {}) {
  const { versions: _placeholder, ...datastore } = mysqlDatastore('10.11', { path: '/placeholder', sha256: '0'.repeat(64) }, name);
  return { ...datastore, guest, versions: [{ name: '10.11', manager: 'mysql' as const }] };
}

export type Api = (method: string, path: string, body?: unknown) => Promise<ApiResponse>;

export function apiFor(url: () => string, token: string): Api {
  return (method, path, body) => apiRequest(url(), token, method, path, body);
}

export async function waitActive(api: Api, project: string, id: string): Promise<{ port: number; status: string }> {
  const shown = await waitFor(() => api('GET', `/v1.0/${project}/instances/${id}`), (r) => r.body.instance.status === 'ACTIVE' || r.body.instance.status === 'ERROR', `instance ${id} to be ACTIVE`, 300_000);
  expect(shown.body.instance).toMatchObject({ status: 'ACTIVE' });
  return shown.body.instance;
}

export async function waitBackup(api: Api, project: string, id: string): Promise<Record<string, unknown>> {
  const backup = await waitFor(() => api('GET', `/v1.0/${project}/backups/${id}`), (r) => !['NEW', 'BUILDING'].includes(r.body.backup.status), 'the backup', 300_000);
  return backup.body.backup;
}

export function connect(port: number, user: string, password: string, database?: string): Promise<mysql.Connection> {
  return mysql.createConnection({ host: '127.0.0.1', port, user, password, database, connectTimeout: 5000 });
}

/** The error code a connection attempt fails with ('' when it succeeds). */
export async function refusal(port: number, user: string, password: string, database?: string): Promise<string> {
  try {
    const connection = await connect(port, user, password, database);
    await connection.end();
    return '';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/** mariadbd's pid, from the pid file the manager's configuration puts in the volume. */
export function mariadbdPid(dataDir: string, instanceId: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'instances', instanceId, 'volume', 'run', 'mysqld.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
