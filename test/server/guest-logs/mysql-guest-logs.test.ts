import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFor, connect, familyDatastore, MYSQL_MANAGER, requireMariadb, waitActive } from '../../datastores/mysql/support.js';
import { prepareTestServer, waitFor, type TestServer, type TestServerSetup } from '../../support/server.js';
import { TroveClients } from '../../support/trove-clients.js';
import { berthProcess, errorOf, type CliResult } from '../../support/cli.js';
import { ERRORS } from '../../../datastores/errors/catalogue.js';

// Guest logs of a real MariaDB instance (the real MySQL manager, the local
// provisioner, a real `berth server`) through the REST API and the unmodified
// Trove clients: list, a user log switched on, queries found in its
// publication, the bounds, disable, discard, and the refusals by code.
const TOKEN = 'guest-logs-token-0123456789abcdef';
const ALICE = { name: 'alice', password: 'correct horse battery staple', project: 'acme' };
const MAX_PUBLISH_BYTES = 8192;
let setup: TestServerSetup;
let server: TestServer;
let clients: TroveClients;
let home: string;
const api = apiFor(() => server.url, TOKEN);
const berth = (...args: string[]): Promise<CliResult> => berthProcess([...args, '--url', server.url, '--project', 'acme', '--token', TOKEN], { home });

async function content(path: string): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${server.url}/v1.0/acme${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

beforeAll(async () => {
  requireMariadb({ mariabackup: false });
  setup = await prepareTestServer({
    name: 'guest-logs',
    projects: { acme: TOKEN },
    users: [{ name: ALICE.name, password: ALICE.password, projects: [ALICE.project] }],
    managers: { mysql: MYSQL_MANAGER },
    timeouts: { report_interval: 1, heartbeat_expiry: 30, slow_call: 300 },
    datastores: [familyDatastore('mysql')],
  });
  setup.config.guest_logs = { max_publish_bytes: MAX_PUBLISH_BYTES, max_publications: 2 };
  server = await setup.start();
  home = await mkdtemp(join(tmpdir(), 'berth-guest-logs-home-'));
  clients = new TroveClients(server.url, ALICE, TOKEN, home);
}, 300_000);
afterAll(async () => {
  await setup?.cleanup();
  if (home) await rm(home, { recursive: true, force: true });
}, 120_000);

describe('guest logs of a MariaDB instance', { timeout: 300_000 }, () => {
  let id: string;
  let port: number;
  const generalLog = () => readFileSync(join(setup.dir, 'instances', id, 'volume', 'log', 'general.log'), 'utf8');
  const generalOn = async () => {
    const admin = await connect(port, 'bob', 'bob-secret-1', 'shop');
    try {
      return String(((await admin.query('SELECT @@general_log AS on_'))[0] as Array<{ on_: number }>)[0]!.on_);
    } finally {
      await admin.end();
    }
  };

  it('lists the system logs and the user logs, disabled, in Trove shape', async () => {
    const created = await api('POST', '/v1.0/acme/instances', {
      instance: { name: 'logged', datastore: { type: 'mysql' }, databases: [{ name: 'shop' }], users: [{ name: 'bob', password: 'bob-secret-1', databases: [{ name: 'shop' }] }] },
    });
    expect(created.status).toBe(200);
    id = created.body.instance.id;
    port = (await waitActive(api, 'acme', id)).port;

    const listed = await api('GET', `/v1.0/acme/instances/${id}/log`);
    expect(listed.status).toBe(200);
    const byName = new Map((listed.body.logs as Array<{ name: string }>).map((log) => [log.name, log]));
    expect(byName.get('error.log')).toMatchObject({ type: 'SYS', status: 'Ready', published: 0, container: 'None', prefix: 'None' });
    expect(byName.get('general')).toEqual({ name: 'general', type: 'USER', status: 'Disabled', published: 0, pending: 0, container: 'None', prefix: 'None', metafile: `${id}/mysql-general_metafile` });
    expect(byName.get('slow_query')).toMatchObject({ type: 'USER', status: 'Disabled' });

    const osc = await clients.openstackJson<Array<{ Name: string; Type: string; Status: string }>>(['database', 'log', 'list', id]);
    expect(osc.find((row) => row.Name === 'general')).toMatchObject({ Type: 'USER', Status: 'Disabled' });
  });

  it('refuses what Trove refuses, with catalogue codes', async () => {
    const post = (body: unknown) => api('POST', `/v1.0/acme/instances/${id}/log`, body);
    expect((await post({ name: 'error.log', enable: 1 })).body.error.code).toBe('BERTH_ERR_GUEST_LOG_ACTION_INVALID');
    expect((await post({ name: 'error.log', disable: 1 })).status).toBe(400);
    expect((await post({ name: 'general', enable: 1, disable: 1 })).body.error.code).toBe('BERTH_ERR_GUEST_LOG_ACTION_INVALID');
    const missing = await post({ name: 'no_such_log', publish: 1 });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'BERTH_ERR_GUEST_LOG_NOT_FOUND']);
    expect((await post({ name: 'general', enable: 2 })).body.error.code).toBe('BERTH_ERR_VALIDATION');
    expect((await post({ enable: 1 })).body.error.code).toBe('BERTH_ERR_VALIDATION');
    expect((await api('GET', '/v1.0/acme/instances/not-a-uuid/log')).body.error.code).toBe('BERTH_ERR_VALIDATION');
    const unknown = await api('GET', '/v1.0/acme/instances/00000000-0000-4000-8000-000000000000/log');
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'BERTH_ERR_INSTANCE_NOT_FOUND']);
    const unpublished = await content(`/instances/${id}/log/general/content`);
    expect(unpublished.status).toBe(404);
    expect(JSON.parse(unpublished.text).error.code).toBe('BERTH_ERR_GUEST_LOG_NOT_PUBLISHED');
    // the system log is off limits through the client too, which prints the message and the status
    const refused = await clients.openstack(['database', 'log', 'set', id, 'error.log', '--disable']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/system log.*\(HTTP 400\)/);
  });

  it('enables the general log (openstack), publishes it (trove) and the content route has the queries', async () => {
    const enabled = await clients.openstackJson(['database', 'log', 'set', id, 'general', '--enable']);
    expect(enabled).toMatchObject({ name: 'general', type: 'USER' });
    expect(['Enabled', 'Ready']).toContain(enabled.status);
    expect(await generalOn()).toBe('1');
    const bob = await connect(port, 'bob', 'bob-secret-1', 'shop');
    await bob.query('CREATE TABLE cargo (item varchar(40))');
    await bob.query("INSERT INTO cargo VALUES ('berth-guest-log-marker')");
    await bob.end();

    const published = await clients.troveOk(['log-publish', id, 'general']);
    expect(published).toMatch(/berth-guest-logs/);
    const shown = await clients.openstackJson(['database', 'log', 'show', id, 'general']);
    expect(shown.published).toBeGreaterThan(0);
    expect(['Published', 'Partial']).toContain(shown.status);
    expect(shown).toMatchObject({ container: 'berth-guest-logs', prefix: `${id}/mysql-general/` });

    const read = await content(`/instances/${id}/log/general/content`);
    expect(read.status).toBe(200);
    expect(read.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(read.headers.get('x-berth-publication')).toBe('1');
    expect(read.headers.get('x-berth-publication-partial')).toBe('false');
    expect(read.text).toContain("INSERT INTO cargo VALUES ('berth-guest-log-marker')");
    expect(read.text).toBe(generalLog().slice(0, read.text.length));

    // log save and tail read Swift, which Berth does not have: the client finds no object-store endpoint
    const saved = await clients.openstack(['database', 'log', 'save', id, 'general', '--file', join(home, 'general.log')], { json: false });
    expect(saved.code).not.toBe(0);
    expect(saved.stderr).toMatch(/ClientException/);
  });

  it('bounds a publication by guest_logs.max_publish_bytes (partial, the rest next time) and keeps max_publications', async () => {
    const bob = await connect(port, 'bob', 'bob-secret-1', 'shop');
    await bob.query(`SELECT '${'x'.repeat(3 * MAX_PUBLISH_BYTES)}' AS big`);
    await bob.end();
    const first = await api('POST', `/v1.0/acme/instances/${id}/log`, { name: 'general', publish: 1 });
    expect(first.status).toBe(200);
    expect(first.body.log.status).toBe('Partial');
    expect(first.body.log.pending).toBeGreaterThan(MAX_PUBLISH_BYTES);
    const second = await content(`/instances/${id}/log/general/content`);
    expect(second.headers.get('x-berth-publication')).toBe('2');
    expect(second.headers.get('x-berth-publication-partial')).toBe('true');
    expect(Buffer.byteLength(second.text)).toBe(MAX_PUBLISH_BYTES);
    const [from, to] = second.headers.get('x-berth-publication-range')!.split('-').map(Number);
    expect(to! - from!).toBe(MAX_PUBLISH_BYTES);

    const next = await api('POST', `/v1.0/acme/instances/${id}/log`, { name: 'general', publish: 1 });
    expect(next.body.log.published).toBe(to! + MAX_PUBLISH_BYTES);
    const third = await content(`/instances/${id}/log/general/content`);
    expect(third.headers.get('x-berth-publication-range')).toBe(`${to}-${to! + MAX_PUBLISH_BYTES}`);
    // two kept: the first is gone, the second still there
    const dropped = await content(`/instances/${id}/log/general/content?publication=1`);
    expect([dropped.status, JSON.parse(dropped.text).error.code]).toEqual([404, 'BERTH_ERR_GUEST_LOG_NOT_PUBLISHED']);
    expect((await content(`/instances/${id}/log/general/content?publication=2`)).text).toBe(second.text);
  });

  it('reads the logs with `berth instance log`, by the instance name', async () => {
    const listed = await berth('instance', 'log', 'list', 'logged');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^general\s+USER\s+Partial\s+\d+\s+\d+$/m);
    const shown = JSON.parse((await berth('instance', 'log', 'show', 'logged', 'general', '--json')).stdout);
    expect(shown.log).toMatchObject({ name: 'general', type: 'USER', container: 'berth-guest-logs' });
    const published = await berth('instance', 'log', 'publish', 'logged', 'general', '--json');
    expect(JSON.parse(published.stdout).log.published).toBeGreaterThan(shown.log.published);
    const newest = await berth('instance', 'log', 'content', 'logged', 'general');
    expect(newest.code).toBe(0);
    expect(newest.stdout).toBe((await content(`/instances/${id}/log/general/content`)).text);
    const refused = await berth('instance', 'log', 'enable', 'logged', 'error.log', '--json');
    expect(errorOf(refused).code).toBe('BERTH_ERR_GUEST_LOG_ACTION_INVALID');
    expect(refused.code).toBe(ERRORS.BERTH_ERR_GUEST_LOG_ACTION_INVALID.exitCode);
    expect(errorOf(await berth('instance', 'log', 'content', 'logged', 'general', '--publication', '1', '--json')).code).toBe('BERTH_ERR_GUEST_LOG_NOT_PUBLISHED');
    expect(errorOf(await berth('instance', 'log', 'content', 'logged', 'slow_query', '--json')).code).toBe('BERTH_ERR_GUEST_LOG_NOT_PUBLISHED');
  });

  it('sees a rotated log (shorter than published): Rotated, and the next publish starts again at its beginning', async () => {
    // truncated under the server, which appends on (O_APPEND)
    writeFileSync(join(setup.dir, 'instances', id, 'volume', 'log', 'general.log'), 'berth-rotated-head\n');
    const shown = await api('POST', `/v1.0/acme/instances/${id}/log`, { name: 'general' });
    expect(shown.body.log.status).toBe('Rotated');
    expect(shown.body.log.pending).toBeLessThan(shown.body.log.published);
    const republished = await api('POST', `/v1.0/acme/instances/${id}/log`, { name: 'general', publish: 1 });
    expect(republished.body.log.published).toBeLessThan(shown.body.log.published);
    const read = await content(`/instances/${id}/log/general/content`);
    expect(read.headers.get('x-berth-publication')).toBe('1');
    expect(read.headers.get('x-berth-publication-range')).toMatch(/^0-/);
    expect(read.text.startsWith('berth-rotated-head\n')).toBe(true);
  });

  it('disables the log: the server stops writing it', async () => {
    const disabled = await clients.openstackJson(['database', 'log', 'set', id, 'general', '--disable']);
    expect(disabled.status).toBe('Disabled');
    expect(await generalOn()).toBe('0');
    const bob = await connect(port, 'bob', 'bob-secret-1', 'shop');
    await bob.query("SELECT 'berth-after-disable' AS after");
    await bob.end();
    expect(generalLog()).not.toContain('berth-after-disable');
  });

  it('discards the publications, and publishes the system error log', async () => {
    const discarded = await api('POST', `/v1.0/acme/instances/${id}/log`, { name: 'general', discard: 1 });
    expect(discarded.body.log).toMatchObject({ status: 'Disabled', published: 0, container: 'None' });
    expect((await content(`/instances/${id}/log/general/content`)).status).toBe(404);

    const error = await api('POST', `/v1.0/acme/instances/${id}/log`, { name: 'error.log', publish: 1 });
    expect(error.status).toBe(200);
    expect(error.body.log.type).toBe('SYS');
    expect((await content(`/instances/${id}/log/error.log/content`)).text).toMatch(/ready for connections/);
  });

  it('forgets the publications with the instance', async () => {
    const stored = join(setup.dir, 'guest-logs', id);
    expect(existsSync(stored)).toBe(true);
    expect((await api('DELETE', `/v1.0/acme/instances/${id}`)).status).toBe(202);
    await waitFor(async () => existsSync(stored), (there) => !there, 'the publications to go', 60_000, 200);
  });
});
