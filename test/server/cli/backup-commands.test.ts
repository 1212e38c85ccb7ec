import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../../datastores/errors/catalogue.js';
import { berthProcess, errorOf, type CliResult } from '../../support/cli.js';
import { apiRequest, startTestServer, waitFor, type StartedTestServer } from '../../support/server.js';

const TOKEN = 'acme-token-0123456789';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
let setup: StartedTestServer;
let home: string;
let source: string;
let plain: string;

const api = (method: string, path: string, body?: unknown) => apiRequest(setup.server.url, TOKEN, method, `/v1.0/acme${path}`, body);
const berth = (...args: string[]): Promise<CliResult> => berthProcess([...args, '--url', setup.server.url, '--project', 'acme', '--token', TOKEN], { home });
const rows = (stdout: string) => stdout.trimEnd().split('\n').map((line) => line.split(/\s{2,}/));

async function activeInstance(name: string, datastore: string): Promise<string> {
  const id = (await api('POST', '/instances', { instance: { name, datastore: { type: datastore } } })).body.instance.id as string;
  await waitFor(() => api('GET', `/instances/${id}`), (r) => r.body.instance.status !== 'BUILD', `instance ${name} to leave BUILD`, 60_000);
  return id;
}

/** A failed command: its catalogue code (from --json on stderr), and the exit code the catalogue gives that code. */
function expectFailure(result: CliResult, code: keyof typeof ERRORS): void {
  expect(errorOf(result).code).toBe(code);
  expect(result.code).toBe(ERRORS[code].exitCode);
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'berth-backup-home-'));
  setup = await startTestServer({
    name: 'backup-cli',
    projects: { acme: TOKEN },
    managers: { backups: 'backups', counter: 'counter' },
    timeouts: { report_interval: 0.2, heartbeat_expiry: 10 },
    datastores: [
      { name: 'backups', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/payload' }, versions: [{ name: '1', manager: 'backups' }] },
      { name: 'counter', server: { usage_timeout: 60 }, guest: { mount_point: '/var/lib/counter' }, versions: [{ name: '1', manager: 'counter' }] },
    ],
  });
  source = await activeInstance('source', 'backups');
  plain = await activeInstance('plain', 'counter');
  // a payload worth backing up
  expect((await api('POST', `/instances/${source}/databases`, { databases: [{ name: 'bytes-5000' }] })).status).toBe(202);
});
afterAll(async () => {
  await setup?.cleanup();
  await rm(home, { recursive: true, force: true });
});

describe('berth backup (real CLI processes, real HTTP, a real guest and backup store)', () => {
  let first: string;
  let second: string;

  it('creates a backup that completes in the background, and shows it', async () => {
    const created = await berth('backup', 'create', '--instance', 'source', '--name', 'nightly', '--description', 'first');
    expect(created.code, created.stderr).toBe(0);
    first = UUID.exec(created.stdout)![0];
    expect(created.stdout).toContain(`creating backup nightly (${first}) of instance source (${source}): BUILDING`);
    await waitFor(() => api('GET', `/backups/${first}`), (r) => r.body.backup.status === 'COMPLETED', 'the backup', 60_000);

    const shown = await berth('backup', 'show', first);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^status\s+COMPLETED$/m);
    expect(shown.stdout).toMatch(/^description\s+first$/m);
    expect(shown.stdout).toMatch(new RegExp(`^instance\\s+${source}$`, 'm'));
    expect(shown.stdout).toMatch(/^size\s+4\.9 KiB$/m);
    const json = await berth('backup', 'show', first, '--json');
    expect(JSON.parse(json.stdout)).toEqual((await api('GET', `/backups/${first}`)).body);
  });

  it('creates an incremental backup with --parent and waits for it with --wait --json', async () => {
    const created = await berth('backup', 'create', '--instance', source, '--name', 'incremental', '--parent', first, '--wait', '--json');
    expect(created.code, created.stderr).toBe(0);
    const body = JSON.parse(created.stdout) as { backup: { id: string; status: string; parent_id: string; size_bytes: number } };
    expect(body.backup).toMatchObject({ status: 'COMPLETED', parent_id: first, size_bytes: 5000 });
    second = body.backup.id;
  });

  it("takes Trove's incremental: 1 (what its clients send) as building on the instance's latest completed backup, and 0 as a full one", async () => {
    const incremental = await api('POST', '/backups', { backup: { name: 'trove-incremental', instance: source, incremental: 1 } });
    expect(incremental.status, JSON.stringify(incremental.body)).toBe(202);
    const done = await waitFor(() => api('GET', `/backups/${incremental.body.backup.id}`), (r) => r.body.backup.status === 'COMPLETED', 'the incremental backup', 60_000);
    expect(done.body.backup.parent_id).toBe(second);
    const full = await api('POST', '/backups', { backup: { name: 'trove-full', instance: source, incremental: 0 } });
    expect(full.body.backup.parent_id).toBeNull();
    await waitFor(() => api('GET', `/backups/${full.body.backup.id}`), (r) => r.body.backup.status === 'COMPLETED', 'the full backup', 60_000);
    for (const id of [incremental.body.backup.id, full.body.backup.id]) expect((await api('DELETE', `/backups/${id}`)).status).toBe(202);
    expect((await api('POST', '/backups', { backup: { name: 'x', instance: source, incremental: 2 } })).body.error.code).toBe('BERTH_ERR_VALIDATION');
  });

  it('lists backups as a table, and per instance as the API JSON', async () => {
    const table = await berth('backup', 'list');
    expect(table.code, table.stderr).toBe(0);
    const lines = rows(table.stdout);
    expect(lines[0]).toEqual(['ID', 'NAME', 'STATUS', 'INSTANCE', 'SIZE', 'CREATED']);
    expect(lines.find((row) => row[0] === first)?.slice(0, 5)).toEqual([first, 'nightly', 'COMPLETED', source, '4.9 KiB']);
    expect(lines.map((row) => row[0])).toContain(second);

    const json = await berth('backup', 'list', '--instance', 'source', '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual((await api('GET', `/backups?instance_id=${source}`)).body);
    const none = await berth('backup', 'list', '--instance', 'plain');
    expect(none.stdout).toBe(`no backups of instance plain (${plain})\n`);
  });

  it('deletes a backup; it is gone after', async () => {
    const deleted = await berth('backup', 'delete', second);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe(`deleted backup ${second}\n`);
    expectFailure(await berth('backup', 'show', second, '--json'), 'BERTH_ERR_BACKUP_NOT_FOUND');
    expectFailure(await berth('backup', 'delete', second, '--json'), 'BERTH_ERR_BACKUP_NOT_FOUND');
    expect((await api('GET', `/backups/${first}`)).body.backup.status).toBe('COMPLETED');
  });

  it('creates an instance restored from a backup named by name (instance create --backup), with the data of the backup', async () => {
    // the source moves on after the backup: the restored instance must have the backup's 5000 bytes, not the source's 6000
    expect((await api('POST', `/instances/${source}/databases`, { databases: [{ name: 'bytes-1000' }] })).status).toBe(202);
    const created = await berth('instance', 'create', 'restored', '--datastore', 'backups', '--backup', 'nightly', '--wait');
    expect(created.code, created.stderr).toBe(0);
    const id = UUID.exec(created.stdout)![0];
    expect(created.stdout).toContain(`created instance restored (${id}) from backup nightly (${first}): BUILD`);
    expect(created.stdout).toContain(`instance restored (${id}) is ACTIVE`);
    const databases = await berth('database', 'list', 'restored', '--json');
    expect(databases.code, databases.stderr).toBe(0);
    expect(JSON.parse(databases.stdout)).toEqual({ databases: [{ name: 'size-5000' }] });
    expect((await api('GET', `/instances/${source}/databases`)).body.databases).toEqual([{ name: 'size-6000' }]);
  });

  it('takes the backup by id too, and refuses a name no backup or several backups have', async () => {
    const byId = await berth('instance', 'create', 'restored-by-id', '--datastore', 'backups', '--backup', first, '--wait', '--json');
    expect(byId.code, byId.stderr).toBe(0);
    const id = (JSON.parse(byId.stdout) as { instance: { id: string; status: string } }).instance.id;
    expect((await api('GET', `/instances/${id}`)).body.instance.status).toBe('ACTIVE');
    expect((await api('GET', `/instances/${id}/databases`)).body.databases).toEqual([{ name: 'size-5000' }]);

    expectFailure(await berth('instance', 'create', 'x', '--datastore', 'backups', '--backup', 'weekly', '--json'), 'BERTH_ERR_BACKUP_NOT_FOUND');
    const again = (await api('POST', '/backups', { backup: { name: 'nightly', instance: source } })).body.backup.id as string;
    await waitFor(() => api('GET', `/backups/${again}`), (r) => r.body.backup.status === 'COMPLETED', 'the second nightly backup', 60_000);
    const ambiguous = await berth('instance', 'create', 'x', '--datastore', 'backups', '--backup', 'nightly', '--json');
    expectFailure(ambiguous, 'BERTH_ERR_USAGE');
    expect(errorOf(ambiguous).fix).toContain(first);
    expect(errorOf(ambiguous).fix).toContain(again);
    // refused before anything is made
    expect(((await api('GET', '/instances')).body.instances as Array<{ name: string }>).map((i) => i.name)).not.toContain('x');
  });

  it('answers bad requests with their catalogue codes and exit codes', async () => {
    expectFailure(await berth('backup', 'create', '--instance', 'plain', '--name', 'x', '--json'), 'BERTH_ERR_OPERATION_UNSUPPORTED');
    expectFailure(await berth('backup', 'create', '--instance', 'nope', '--name', 'x', '--json'), 'BERTH_ERR_INSTANCE_NOT_FOUND');
    expectFailure(await berth('backup', 'create', '--instance', 'source', '--name', 'x', '--parent', second, '--json'), 'BERTH_ERR_BACKUP_NOT_FOUND');
    expectFailure(await berth('backup', 'show', 'not-a-uuid', '--json'), 'BERTH_ERR_VALIDATION');
    expect((await berth('backup', 'create', '--instance', 'source')).code).toBe(ERRORS.BERTH_ERR_USAGE.exitCode);

    const human = await berth('backup', 'show', second);
    expect(human.code).toBe(ERRORS.BERTH_ERR_BACKUP_NOT_FOUND.exitCode);
    expect(human.stderr).toMatch(/^error BERTH_ERR_BACKUP_NOT_FOUND: /m);
  });

  it('fails --wait when the backup FAILS, with BERTH_ERR_BACKUP_STATE', async () => {
    // the fixture fails every backup once it has a database of this name
    expect((await api('POST', `/instances/${source}/databases`, { databases: [{ name: 'fail-backups' }] })).status).toBe(202);
    const result = await berth('backup', 'create', '--instance', 'source', '--name', 'doomed', '--wait');
    expect(result.code).toBe(ERRORS.BERTH_ERR_BACKUP_STATE.exitCode);
    expect(result.stderr).toMatch(/^error BERTH_ERR_BACKUP_STATE: /m);
    const doomed = UUID.exec(result.stdout)![0];
    expect((await api('GET', `/backups/${doomed}`)).body.backup.status).toBe('FAILED');
  });
});
