import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesWorkingIn } from '../../server/provisioning/local-machine.js';
import { berthProcess } from '../support/cli.js';
import { apiRequest, prepareTestServer, waitFor, type TestServer, type TestServerSetup } from '../support/server.js';
import { killEverything } from './support/kill-instance.js';
import { datastoreCases, requireDatastorePrograms, type DatastoreCase } from './support/datastore-cases.js';

// Day two with real processes: an instance is ACTIVE as soon as its prepare has
// succeeded, and after its guest host and datastore die (a reboot of the machine,
// kill -9 of everything) the restarted host brings the datastore back with no API
// call, unless the operator had stopped it. A restart and a restore are ACTIVE as
// promptly, and a configuration group attaches right after a restart. The report interval is longer than any
// wait here, so no periodic heartbeat can be what a test sees.
const TOKEN = 'reboot-token-0123456789abcdef';
const REPORT_INTERVAL_S = 600;

requireDatastorePrograms();

describe.each(datastoreCases().map((c) => [c.type, c] as const))('%s after a reboot', (type, datastoreCase: DatastoreCase) => {
  let setup: TestServerSetup;
  let server: TestServer;
  let id: string;
  let port: number;
  const api = (method: string, path: string, body?: unknown) => apiRequest(server.url, TOKEN, method, `/v1.0/acme${path}`, body);
  const instanceDir = () => join(setup.dir, 'instances', id);
  const record = () => server.store.instances.getById(id);
  const cli = (...args: string[]) => berthProcess([...args, '--url', server.url, '--project', 'acme', '--token', TOKEN], { home: setup.dir });

  beforeAll(async () => {
    setup = await prepareTestServer({
      name: `reboot-${type}`,
      projects: { acme: TOKEN },
      managers: { [type]: datastoreCase.manager },
      // heartbeat_expiry above the longest wait, so ACTIVE here is never a stale ACTIVE's leftover either way
      timeouts: { report_interval: REPORT_INTERVAL_S, heartbeat_expiry: REPORT_INTERVAL_S * 3, slow_call: 300 },
      datastores: [datastoreCase.datastore as never],
      stopGuestsOnClose: true,
      firstRestartDelayMs: 100,
    });
    server = await setup.start();
    // the next server process listens where the guests' configs say, as `berth up` does
    const listening = new URL(server.url);
    setup.config.server.listen = `${listening.hostname}:${listening.port}`;
  }, 300_000);
  afterAll(() => setup?.cleanup(), 120_000);

  /** A failed wait says what the guest host logged, which is where the reason is. */
  async function explained<T>(waiting: Promise<T>): Promise<T> {
    try {
      return await waiting;
    } catch (error) {
      const log = readFileSync(join(instanceDir(), 'host.log'), 'utf8').split('\n').slice(-15).join('\n');
      throw new Error(`${(error as Error).message}\nthe guest host's log ends:\n${log}`);
    }
  }

  /** A heartbeat sent by a host that started after `since`, with this service status. */
  function reportedSince(since: number, serviceStatus: string) {
    return explained(waitFor(record, (instance) => (instance?.lastHeartbeatAt?.getTime() ?? 0) > since && instance?.serviceStatus === serviceStatus, `a heartbeat saying ${serviceStatus}`, 120_000));
  }

  it('is ACTIVE once prepare has succeeded, without waiting for a heartbeat', async () => {
    const created = await api('POST', '/instances', { instance: { name: `${type}1`, datastore: { type }, ...datastoreCase.create } });
    expect(created.status).toBe(200);
    id = created.body.instance.id;
    const shown = await waitFor(() => api('GET', `/instances/${id}`), (r) => ['ACTIVE', 'ERROR'].includes(r.body.instance.status), 'ACTIVE', 240_000);
    expect(shown.body.instance.status).toBe('ACTIVE');
    port = shown.body.instance.port;
    const prepare = (await server.store.tasks.listForInstance(id)).find((task) => task.operation === 'prepare');
    expect(prepare?.state).toBe('succeeded');
    await datastoreCase.write(port);
  }, 300_000);

  it('comes back by itself with its data and users after its guest host and datastore are killed', async () => {
    const killedAt = Date.now();
    const killed = await killEverything(server.provisioner!.pidOf(id)!, instanceDir());
    // no API call from here: the supervisor restarts the host, the host the datastore
    expect(await explained(waitFor(() => datastoreCase.read(port).catch(() => ''), (item) => item === 'anchor', 'the data through an ordinary client', 120_000))).toBe('anchor');
    const instance = await reportedSince(killedAt, 'RUNNING');
    expect(instance?.status).toBe('ACTIVE');
    expect(processesWorkingIn(instanceDir()).some((pid) => !killed.includes(pid))).toBe(true);
    expect(readFileSync(join(instanceDir(), 'host.log'), 'utf8')).toMatch(/"autostart":"started"/);
  }, 240_000);

  it('answers the first operation after a restart through the connection the restart dropped', async () => {
    // the manager's pooled connection died with the old datastore process; enabling root needs it at once
    expect((await api('POST', `/instances/${id}/action`, { restart: {} })).status).toBe(202);
    const root = await api('POST', `/instances/${id}/root`, {});
    expect(root.status, JSON.stringify(root.body)).toBe(200);
    expect((await api('DELETE', `/instances/${id}/root`)).status).toBe(202);
    expect(await datastoreCase.read(port)).toBe('anchor');
  }, 240_000);

  it('is ACTIVE again once a restart has succeeded, from the report right after it', async () => {
    const restartedAt = Date.now();
    const restarted = await cli('instance', 'restart', `${type}1`);
    expect(restarted.code, restarted.stderr).toBe(0);
    const instance = await reportedSince(restartedAt, 'RUNNING');
    expect(instance?.status).toBe('ACTIVE');
    const restart = (await server.store.tasks.listForInstance(id)).filter((task) => task.operation === 'restart').at(-1);
    expect(restart?.state).toBe('succeeded');
    expect(await datastoreCase.read(port)).toBe('anchor');
  }, 240_000);

  it('attaches a configuration group right after a restart, and the datastore takes its value', async () => {
    // the symptom: this attach failed with 503 when the manager's connection had died with the restart
    const { setting } = datastoreCase;
    const group = await api('POST', '/configurations', { configuration: { name: `${type}-live`, values: { [setting.name]: setting.value }, datastore: { type } } });
    expect(group.status, JSON.stringify(group.body)).toBe(200);
    expect((await api('POST', `/instances/${id}/action`, { restart: {} })).status).toBe(202);
    const attached = await api('PUT', `/instances/${id}`, { instance: { configuration: group.body.configuration.id } });
    expect(attached.status, JSON.stringify(attached.body)).toBe(202);
    expect(await setting.read(port)).toBe(setting.shown);
    expect((await api('GET', `/instances/${id}`)).body.instance).toMatchObject({ status: 'ACTIVE', configuration: { id: group.body.configuration.id } });
  }, 240_000);

  it('restores a backup into a new instance (create --backup) that is ACTIVE once its prepare has succeeded', async () => {
    const backedUp = await cli('backup', 'create', '--instance', `${type}1`, '--name', `${type}-nightly`, '--wait', '--json');
    expect(backedUp.code, backedUp.stderr).toBe(0);
    const created = await cli('instance', 'create', `${type}2`, '--datastore', type, '--backup', `${type}-nightly`, '--json');
    expect(created.code, created.stderr).toBe(0);
    const restoredId = (JSON.parse(created.stdout) as { instance: { id: string } }).instance.id;
    const shown = await waitFor(() => api('GET', `/instances/${restoredId}`), (r) => ['ACTIVE', 'ERROR'].includes(r.body.instance.status), 'the restored instance ACTIVE', 240_000);
    expect(shown.body.instance.status, JSON.stringify(shown.body.instance.fault)).toBe('ACTIVE');
    const prepare = (await server.store.tasks.listForInstance(restoredId)).find((task) => task.operation === 'prepare');
    expect(prepare?.state).toBe('succeeded');
    expect(await datastoreCase.read(shown.body.instance.port)).toBe('anchor');
    // the rest of this file reboots the first instance alone
    expect((await api('DELETE', `/instances/${restoredId}`)).status).toBe(202);
    await waitFor(() => api('GET', `/instances/${restoredId}`), (r) => r.status === 404, 'the restored instance gone', 120_000);
  }, 360_000);

  it('stays down after a reboot when the operator had stopped it, and starts when asked', async () => {
    // as an operator does it: the CLI, which sends the API's stop action (stop-db with disable-autostart)
    const stopped = await cli('instance', 'stop', `${type}1`);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain(`stopped the datastore of instance ${type}1`);
    await waitFor(() => api('GET', `/instances/${id}`), (r) => r.body.instance.status === 'SHUTDOWN', 'SHUTDOWN', 60_000);
    const killedAt = Date.now();
    await killEverything(server.provisioner!.pidOf(id)!, instanceDir());
    const instance = await reportedSince(killedAt, 'SHUTDOWN');
    expect(instance?.status).toBe('SHUTDOWN');
    expect(processesWorkingIn(instanceDir())).toEqual([]);
    expect(await datastoreCase.read(port).then(() => 'answered', () => 'refused')).toBe('refused');
    expect(readFileSync(join(instanceDir(), 'host.log'), 'utf8')).toMatch(/"autostart":"stopped on purpose: left down"/);

    const started = await cli('instance', 'start', id, '--json');
    expect(started.code, started.stderr).toBe(0);
    await waitFor(() => api('GET', `/instances/${id}`), (r) => r.body.instance.status === 'ACTIVE', 'ACTIVE', 120_000);
    expect(await datastoreCase.read(port)).toBe('anchor');
  }, 300_000);

  it('comes back when the control plane is stopped and started again, as `berth up` is', async () => {
    await server.close();
    expect(processesWorkingIn(instanceDir())).toEqual([]);
    const restartedAt = Date.now();
    server = await setup.start();
    expect(await explained(waitFor(() => datastoreCase.read(port).catch(() => ''), (item) => item === 'anchor', 'the data through an ordinary client', 120_000))).toBe('anchor');
    const instance = await reportedSince(restartedAt, 'RUNNING');
    expect(instance?.status).toBe('ACTIVE');
  }, 300_000);
});
