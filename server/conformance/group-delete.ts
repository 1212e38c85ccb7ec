import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { CheckFailure, expectThat, waitFor } from './checks.js';
import { instanceView, type ScenarioContext } from './context.js';
import type { ProcessWatch } from './process-watch.js';

const listening = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, host);
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** The manager's capability denials in its host's log (pino lines "manager denied"), before delete removes it. */
export function deniedCapabilities(instanceDir: string): string[] {
  const file = join(instanceDir, 'host.log');
  if (!existsSync(file)) return [];
  const denied: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.includes('manager denied')) continue;
    try {
      const entry = JSON.parse(line) as { capability?: string; what?: string };
      denied.push(`${entry.capability ?? '?'}: ${entry.what ?? '?'}`);
    } catch {
      denied.push(line.slice(0, 200));
    }
  }
  return denied;
}

/**
 * Delete, then look for what is left: the instance in the API, any process
 * its host ran (sampled all along), anything marked with the instance,
 * anything on its port, and its directory.
 */
export async function deleteChecks(context: ScenarioContext, id: string, watch: ProcessWatch, label: string): Promise<void> {
  const dir = context.server.instanceDir(id);
  await context.log.run('invariants', 'no-denied-capability', `${label}: the manager met no denied capability`, async () => {
    const denied = deniedCapabilities(dir);
    expectThat(denied.length === 0, `denied: ${denied.join('; ')}`);
  });
  await context.log.run('invariants', 'no-escaped-process', `${label}: every process stayed in the host's tree or carried the instance's marker`, async () => {
    const escaped = watch.escaped();
    if (escaped.length > 0) throw new CheckFailure(`${escaped.length} process(es) left the host's process tree without the instance's marker: ${escaped.map((p) => `${p.pid} (${p.command})`).join('; ')}`, 'BERTH_CONFORMANCE_PROCESS_ESCAPED');
  });
  let port: number | undefined;
  let host = '127.0.0.1';
  await context.log.run('delete', 'delete', `${label}: delete removes the instance`, async () => {
    const view = await instanceView(context.client, id);
    port = view.port;
    host = view.addresses?.[0]?.address ?? host;
    watch.sample();
    await context.client.deleteInstance(id);
    await waitFor(`instance ${id} to be gone from the API`, context.timeouts.taskMs, async () => {
      try {
        await context.client.getInstance(id);
        return undefined;
      } catch (error) {
        if (error instanceof BerthError && error.code === 'BERTH_ERR_INSTANCE_NOT_FOUND') return true;
        throw error;
      }
    });
  });
  await context.log.run('delete', 'delete', `${label}: delete leaves no process, no listener and no file`, async () => {
    // the provisioner ends the processes as it deletes; give stragglers the time a SIGTERM takes
    const left = await waitFor('the processes to end', 15_000, async () => (watch.survivors().length === 0 ? [] : undefined)).catch(() => watch.survivors());
    watch.stop();
    if (left.length > 0) throw new CheckFailure(`delete left ${left.length} process(es) running: ${left.map((p) => `${p.pid} (${p.command})`).join('; ')}`, 'BERTH_CONFORMANCE_PROCESS_LEFT');
    if (port !== undefined && (await listening(host, port))) throw new CheckFailure(`something still listens on the instance's port ${port}`, 'BERTH_CONFORMANCE_PORT_LEFT');
    expectThat(!existsSync(dir), `the instance's directory ${dir} is still there`);
  });
}
