import type { ParameterView } from '../cli/api-client.js';
import { CheckFailure, expectThat } from './checks.js';
import { claimedCheck, endpointOf, expectMarkers, instanceView, type ScenarioContext, waitForStatus } from './context.js';

/** A setting each built-in datastore can change at run time to a harmless value; others take the first dynamic integer parameter. */
const PREFERRED: Record<string, { name: string; value: number | string }> = {
  postgresql: { name: 'work_mem', value: '8MB' },
  mysql: { name: 'wait_timeout', value: 3600 },
  mariadb: { name: 'wait_timeout', value: 3600 },
  percona: { name: 'wait_timeout', value: 3600 },
  redis: { name: 'maxmemory-samples', value: 7 },
};

function pickParameter(datastore: string, parameters: readonly ParameterView[]): { parameter: ParameterView; value: number | boolean | string } | undefined {
  const preferred = PREFERRED[datastore];
  const named = preferred && parameters.find((p) => p.name === preferred.name);
  if (named && preferred) return { parameter: named, value: preferred.value };
  const dynamic = parameters.find((p) => !p.restart_required && p.type === 'integer' && p.min !== undefined && p.max !== undefined && p.max > p.min);
  if (dynamic) return { parameter: dynamic, value: Math.min(dynamic.max!, dynamic.min! + 1) };
  const anyBoolean = parameters.find((p) => p.type === 'boolean');
  return anyBoolean ? { parameter: anyBoolean, value: true } : undefined;
}

export async function configurationChecks(context: ScenarioContext): Promise<void> {
  const { client, instanceId: id } = context;
  await claimedCheck(context, 'configuration', ['update-overrides', 'apply-overrides'], 'a configuration group with a declared parameter is applied', async () => {
    const view = await instanceView(client, id);
    const parameters = (await client.listParameters(view.datastore.type, view.datastore.version))['configuration-parameters'];
    const chosen = pickParameter(context.datastore, parameters);
    if (!chosen) throw new CheckFailure(`the manager claims configuration but declares no parameter the check can set (it declares ${parameters.length})`, 'BERTH_CONFORMANCE_NO_PARAMETER');
    const { parameter, value } = chosen;
    const { configuration } = await client.createConfiguration({ name: 'conformance', datastore: { type: view.datastore.type, version: view.datastore.version }, values: { [parameter.name]: value } });
    await client.setInstanceConfiguration(id, configuration.id);
    const settled = await waitForStatus(context, id, ['ACTIVE', 'RESTART_REQUIRED'], context.timeouts.taskMs);
    if (settled.status === 'RESTART_REQUIRED' || parameter.restart_required) {
      await client.instanceAction(id, 'restart');
      await waitForStatus(context, id, ['ACTIVE'], context.timeouts.taskMs);
    }
    const effective = (await client.request<{ instance: { configuration: Record<string, unknown> } }>('GET', client.projectPath(`/instances/${id}/configuration`))).instance.configuration;
    expectThat(String(effective[parameter.name]) === String(value), `the instance's configuration shows ${parameter.name} = ${String(effective[parameter.name])}, not ${String(value)}`);
    if (context.probe?.setting && context.credentials) {
      const running = await context.probe.setting(await endpointOf(context), parameter.name);
      expectThat(running === undefined || running === String(value), `the datastore runs with ${parameter.name} = ${running}, not ${String(value)}`);
    }
    await client.setInstanceConfiguration(id, null);
    await waitForStatus(context, id, ['ACTIVE', 'RESTART_REQUIRED'], context.timeouts.taskMs);
  });
}

export async function guestLogChecks(context: ScenarioContext): Promise<void> {
  const { client, instanceId: id } = context;
  let first: string | undefined;
  await claimedCheck(context, 'guest logs', ['guest-log-list'], 'guest logs are listed with names and types', async () => {
    const { logs } = await client.listLogs(id);
    for (const log of logs) expectThat(log.name.length > 0 && (log.type === 'USER' || log.type === 'SYS'), `a guest log is listed as ${JSON.stringify(log)}`);
    first = logs.find((log) => log.type === 'SYS')?.name ?? logs[0]?.name;
  });
  if (!first) return;
  const name = first;
  await claimedCheck(context, 'guest logs', ['guest-log-action', 'guest-log-read'], `guest log ${name} publishes and reads`, async () => {
    const { log } = await client.logAction(id, name, 'publish');
    expectThat(log.name === name, `publishing ${name} answered ${log.name}`);
    await client.logContent(id, name);
  });
}

export async function filesystemChecks(context: ScenarioContext): Promise<void> {
  await claimedCheck(context, 'volume', ['get-filesystem-stats'], 'filesystem stats are consistent', async () => {
    const { filesystem } = await context.client.instanceFilesystem(context.instanceId);
    expectThat(filesystem.total > 0, `total is ${filesystem.total}`);
    expectThat(filesystem.free >= 0 && filesystem.free <= filesystem.total, `free ${filesystem.free} is not within total ${filesystem.total}`);
    expectThat(filesystem.used >= 0 && filesystem.used <= filesystem.total, `used ${filesystem.used} is not within total ${filesystem.total}`);
  });
}

/** The status probe, asked directly the way the host's probe asks it. */
async function serviceStatus(context: ScenarioContext): Promise<string> {
  const outcome = await context.server.running.hub.call(context.instanceId, 'status', [], 15_000);
  if (!('ok' in outcome)) throw new CheckFailure(`status answered ${JSON.stringify(outcome).slice(0, 200)}`, 'BERTH_CONFORMANCE_STATUS');
  return String(outcome.ok);
}

const UP = ['running', 'healthy'];

export async function restartChecks(context: ScenarioContext): Promise<void> {
  const { client, instanceId: id } = context;
  await claimedCheck(context, 'lifecycle', ['status'], 'status answers running or healthy on an ACTIVE instance', async () => {
    const status = await serviceStatus(context);
    expectThat(UP.includes(status), `status answered ${status} while the instance is ACTIVE`, 'BERTH_CONFORMANCE_STATUS');
  });
  await claimedCheck(context, 'lifecycle', ['restart'], 'restart returns to ACTIVE with the data', async () => {
    await client.instanceAction(id, 'restart');
    await waitForStatus(context, id, ['ACTIVE'], context.timeouts.taskMs);
    await expectMarkers(context);
  });
  const stopped = await claimedCheck(context, 'lifecycle', ['stop-db'], 'stop shuts the datastore down', async () => {
    await client.instanceAction(id, 'stop');
    await waitForStatus(context, id, ['SHUTDOWN'], context.timeouts.taskMs);
    if (context.probe && context.credentials && context.markers.length > 0) {
      const endpoint = await endpointOf(context);
      const answered = await context.probe.read(endpoint).then(() => true, () => false);
      expectThat(!answered, 'the datastore still answers the probe after stop');
    }
    if (context.claims.has('status')) {
      const status = await serviceStatus(context);
      expectThat(!UP.includes(status), `status answered ${status} after stop`, 'BERTH_CONFORMANCE_STATUS');
    }
  });
  if (!stopped) return;
  await claimedCheck(context, 'lifecycle', ['start-db-with-conf-changes'], 'start returns to ACTIVE with the data', async () => {
    await client.instanceAction(id, 'start');
    await waitForStatus(context, id, ['ACTIVE'], context.timeouts.taskMs);
    await expectMarkers(context);
  });
}
