/**
 * Day two with real datastores, with `berth up`'s timeouts (a 30 s report
 * interval): per datastore, create -> ACTIVE beside the moment prepare's answer
 * was recorded (the target: ACTIVE within 1 s of prepare's end), and the time
 * a datastore takes to be back after a reboot: kill -9 of its guest host and
 * every datastore process, until an ordinary client reads the row written
 * before and until the instance has reported RUNNING again; then the same
 * after the control plane is stopped and started, as `berth up` is. Run with
 * `npm run bench:day-two` (BENCH_CREATES=n, default 3); figures go into
 * BENCHMARKS.md.
 */
import { join } from 'node:path';
import { apiRequest, prepareTestServer, waitFor, type TestServer } from '../test/support/server.js';
import { datastoreCases, requireDatastorePrograms, type DatastoreCase } from '../test/reliability/support/datastore-cases.js';
import { killEverything } from '../test/reliability/support/kill-instance.js';
import { median } from './support.js';

const CREATES = Number(process.env.BENCH_CREATES ?? 3);
const TOKEN = 'bench-token-0123456789abcdef';
const POLL_MS = 10;

interface Figures {
  type: string;
  createToPrepared: number[];
  preparedToActive: number[];
  rebootToData: number[];
  rebootToRunning: number[];
  upAgainToData: number;
}

requireDatastorePrograms();


async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<number> {
  const started = performance.now();
  await waitFor(probe, done, what, 240_000, POLL_MS);
  return performance.now() - started;
}

async function bench(datastoreCase: DatastoreCase): Promise<Figures> {
  const { type } = datastoreCase;
  const setup = await prepareTestServer({
    name: `day-two-${type}`,
    projects: { acme: TOKEN },
    managers: { [type]: datastoreCase.manager },
    datastores: [datastoreCase.datastore as never],
    stopGuestsOnClose: true,
  });
  let server: TestServer = await setup.start();
  const listening = new URL(server.url);
  setup.config.server.listen = `${listening.hostname}:${listening.port}`;
  const api = (method: string, path: string, body?: unknown) => apiRequest(server.url, TOKEN, method, `/v1.0/acme${path}`, body);
  const figures: Figures = { type, createToPrepared: [], preparedToActive: [], rebootToData: [], rebootToRunning: [], upAgainToData: 0 };
  try {
    let last: { id: string; port: number } | undefined;
    for (let round = 0; round < CREATES; round++) {
      const started = Date.now();
      const created = await api('POST', '/instances', { instance: { name: `${type}${round}`, datastore: { type }, ...datastoreCase.create } });
      const id: string = created.body.instance.id;
      await waitFor(() => server.store.instances.getById(id), (instance) => instance?.status === 'ACTIVE', `${type} ACTIVE`, 240_000, POLL_MS);
      const activeAt = Date.now();
      const prepare = (await server.store.tasks.listForInstance(id)).find((task) => task.operation === 'prepare')!;
      figures.createToPrepared.push(prepare.updatedAt.getTime() - started);
      figures.preparedToActive.push(activeAt - prepare.updatedAt.getTime());
      const port = (await api('GET', `/instances/${id}`)).body.instance.port as number;
      await datastoreCase.write(port);
      last = { id, port };
      if (round < CREATES - 1) await api('DELETE', `/instances/${id}`);
    }
    const { id, port } = last!;
    const dir = join(setup.dir, 'instances', id);
    for (let round = 0; round < CREATES; round++) {
      const killedAt = Date.now();
      await killEverything(server.provisioner!.pidOf(id)!, dir, POLL_MS);
      figures.rebootToData.push(await until(() => datastoreCase.read(port).catch(() => ''), (item) => item === 'anchor', 'the data back'));
      await waitFor(() => server.store.instances.getById(id), (instance) => (instance?.lastHeartbeatAt?.getTime() ?? 0) > killedAt && instance?.serviceStatus === 'RUNNING', 'RUNNING reported', 240_000, POLL_MS);
      figures.rebootToRunning.push(Date.now() - killedAt);
    }
    await server.close();
    const restarted = performance.now();
    server = await setup.start();
    await waitFor(() => datastoreCase.read(port).catch(() => ''), (item) => item === 'anchor', 'the data back after the server restart', 240_000, POLL_MS);
    figures.upAgainToData = performance.now() - restarted;
  } finally {
    await setup.cleanup();
  }
  return figures;
}

const ms = (values: number[]) => `${Math.round(median(values))} (${values.map(Math.round).join(', ')})`;
const rows: Figures[] = [];
for (const datastoreCase of datastoreCases()) rows.push(await bench(datastoreCase));
console.log(`\nday two, ${CREATES} of each, ms, median (all):\n`);
console.log('| datastore | create -> prepare answered | prepare answered -> ACTIVE | kill -9 of everything -> data readable | -> RUNNING reported | server stopped and started -> data readable |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) {
  console.log(`| ${row.type} | ${ms(row.createToPrepared)} | ${ms(row.preparedToActive)} | ${ms(row.rebootToData)} | ${ms(row.rebootToRunning)} | ${Math.round(row.upAgainToData)} |`);
}
