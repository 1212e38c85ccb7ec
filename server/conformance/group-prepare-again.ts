import { CheckFailure } from './checks.js';
import { claimedCheck, expectMarkers, type ScenarioContext } from './context.js';
import { reviveWire } from '../../host/rpc/wire-values.js';

/**
 * Prepare must be idempotent: a guest host that restarts mid-create, or a
 * server that resumes the task, sends the same prepare again to a volume the
 * first one prepared. Sent here as the server first sent it (its task's
 * arguments), after data was written: it must succeed and keep the data.
 */
export async function prepareAgainChecks(context: ScenarioContext): Promise<void> {
  await claimedCheck(context, 'lifecycle', ['prepare'], 'prepare sent again to a prepared instance succeeds and keeps the data', async () => {
    const tasks = await context.server.running.store.tasks.listForInstance(context.instanceId);
    const first = tasks.find((task) => task.operation === 'prepare');
    if (!first) throw new CheckFailure('the server recorded no prepare task for the instance', 'BERTH_CONFORMANCE_MISMATCH');
    const args = JSON.parse(first.args, reviveWire) as unknown[];
    const outcome = await context.server.running.hub.call(context.instanceId, 'prepare', args, context.timeouts.taskMs);
    // a unit ok crosses the wire as {} (JSON drops the undefined): only an err is a failure
    if ('err' in outcome) throw new CheckFailure(`the second prepare answered ${JSON.stringify(outcome).slice(0, 300)}`, 'BERTH_CONFORMANCE_PREPARE_NOT_IDEMPOTENT');
    await expectMarkers(context);
  });
}
